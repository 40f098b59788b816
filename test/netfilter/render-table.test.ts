// Every example row of netfilter-semantics.md §4.4 (verified input → iptables-save output), plus rows
// checked against the real iptables-restore/iptables-save v1.8.9 (nf_tables) in a scratch netns.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { saveLines } from './helpers.ts'
import type { TableName } from '../../src/netfilter/index.ts'

type Row = [TableName, string, string]

// §4.4 table (input → output); `same` rows repeat the input. Rows the doc abbreviates (`...`) are
// written out in full; the `-p udp --dport 1024:` row is split into its two halves.
const DOC_ROWS: Row[] = [
  ['nat', '-m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
    '! -s 10.0.0.0/8 -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ'],
  ['filter', '-p tcp --dport 80 -m comment --comment x -j RETURN', '-p tcp -m tcp --dport 80 -m comment --comment x -j RETURN'],
  ['filter', '-m comment --comment x -p tcp --dport 80 -j RETURN', '-p tcp -m comment --comment x -m tcp --dport 80 -j RETURN'],
  ['nat', '-m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ', '-s 10.180.0.1/32 -m comment --comment "ns1/svc1:p80" -j KUBE-MARK-MASQ'],
  ['nat', '-m recent --name KUBE-SEP-A --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80',
    '-p tcp -m recent --set --name KUBE-SEP-A --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.180.0.1:80'],
  ['nat', '-m recent --name KUBE-SEP-A --rcheck --seconds 10800 --reap -j KUBE-SEP-A',
    '-m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-A --mask 255.255.255.255 --rsource -j KUBE-SEP-A'],
  ['filter', '-m statistic --mode random --probability 0.3333333333', '-m statistic --mode random --probability 0.33333333349'],
  ['filter', '-m statistic --mode random --probability 0.33333', '-m statistic --mode random --probability 0.33332999982'],
  ['filter', '-m statistic --mode random ! --probability 0.5', '-m statistic --mode random ! --probability 0.50000000000'],
  ['filter', '-m statistic --mode nth --every 3 --packet 1', '-m statistic --mode nth --every 3 --packet 1'],
  ['mangle', '-j MARK --or-mark 0x4000', '-j MARK --set-xmark 0x4000/0x4000'],
  ['mangle', '-j MARK --xor-mark 0x4000', '-j MARK --set-xmark 0x4000/0x0'],
  ['mangle', '-j MARK --and-mark 0xff', '-j MARK --set-xmark 0x0/0xffffff00'],
  ['mangle', '-j MARK --set-mark 0x1', '-j MARK --set-xmark 0x1/0xffffffff'],
  ['mangle', '-j MARK --set-mark 0x10/0xf0', '-j MARK --set-xmark 0x10/0xf0'],
  ['filter', '-m mark --mark 010', '-m mark --mark 0x8'],
  ['filter', '-m mark ! --mark 0x4000/0x4000', '-m mark ! --mark 0x4000/0x4000'],
  ['mangle', '-j CONNMARK --save-mark', '-j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff'],
  ['mangle', '-j CONNMARK --restore-mark --mask 0xff', '-j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff'],
  ['mangle', '-j CONNMARK --set-mark 5/0xf', '-j CONNMARK --set-xmark 0x5/0xf'],
  ['filter', '-m connmark --mark 1', '-m connmark --mark 0x1'],
  ['filter', '-p tcp --syn', '-p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN'],
  ['filter', '-p tcp -m tcp --dport 1000:2000 ! --sport 22', '-p tcp -m tcp ! --sport 22 --dport 1000:2000'],
  ['filter', '-p udp --dport 1024:', '-p udp -m udp --dport 1024:65535'],
  ['filter', '-p udp --dport :1023', '-p udp -m udp --dport 0:1023'],
  ['filter', '-p icmp --icmp-type echo-request', '-p icmp -m icmp --icmp-type 8'],
  ['filter', '-m state --state ESTABLISHED,RELATED', '-m state --state RELATED,ESTABLISHED'],
  ['filter', '-m conntrack --ctstate NEW,INVALID', '-m conntrack --ctstate INVALID,NEW'],
  ['filter', '-m conntrack --ctorigdst 10.0.0.1 --ctorigdstport 80 --ctdir ORIGINAL', '-m conntrack --ctorigdst 10.0.0.1 --ctorigdstport 80 --ctdir ORIGINAL'],
  ['filter', '-m addrtype ! --src-type loc', '-m addrtype ! --src-type LOCAL'],
  ['filter', '-m addrtype --dst-type LOCAL,BROADCAST --limit-iface-in', '-m addrtype --dst-type LOCAL,BROADCAST --limit-iface-in'],
  ['filter', '-i + -j ACCEPT', '-j ACCEPT'],
  ['filter', '-j REJECT', '-j REJECT --reject-with icmp-port-unreachable'],
  ['filter', '-p tcp -j REJECT --reject-with tcp-rst', '-p tcp -j REJECT --reject-with tcp-reset'],
  ['filter', '-j LOG --log-prefix "it\'s \\"new\\" " --log-level 6', '-j LOG --log-prefix "it\\\'s \\"new\\" " --log-level 6'],
  ['raw', '-p udp --dport 53 -j NOTRACK', '-p udp -m udp --dport 53 -j NOTRACK'],
  ['raw', '-j CT --notrack', '-j CT --notrack'],
  ['nat', '-p tcp -j DNAT --to 10.0.0.1:8080', '-p tcp -j DNAT --to-destination 10.0.0.1:8080'],
  ['nat', '-A POSTROUTING -p tcp -o eth0 -j MASQUERADE --to-ports 1024-2000', '-o eth0 -p tcp -j MASQUERADE --to-ports 1024-2000'],
  ['nat', '-p tcp --dport 8080 -j REDIRECT --to-ports 80', '-p tcp -m tcp --dport 8080 -j REDIRECT --to-ports 80'],
  ['filter', '-m physdev --physdev-in veth+ ! --physdev-is-bridged', '-m physdev --physdev-in veth+ ! --physdev-is-bridged'],
  ['filter', '-p sctp --dport 80', '-p sctp -m sctp --dport 80'],
  ['filter', '-m comment --comment "a\\\\b" -j ACCEPT', '-m comment --comment "a\\\\b" -j ACCEPT'],
  ['filter', '-s 0.0.0.0/0 -d 0/0 -j RETURN', '-j RETURN'],
  ['filter', '-s 10.1 -j RETURN', '-s 10.1.0.0/32 -j RETURN'],
  ['filter', '-s 10.1.2.3/8 -j RETURN', '-s 10.0.0.0/8 -j RETURN'],
  ['filter', '-d 10.0.0.0/255.0.255.0 -j ACCEPT', '-d 10.0.0.0/255.0.255.0 -j ACCEPT'],
  ['filter', '-p 6 --dport ssh -j ACCEPT', '-p tcp -m tcp --dport 22 -j ACCEPT'],
  ['filter', '-p gre -j ACCEPT', '-p gre -j ACCEPT']
]

// Checked on the real iptables v1.8.9 (nf_tables) during this work.
const KERNEL_ROWS: Row[] = [
  ['filter', '-p tcp --tcp-flags SYN SYN --tcp-option 3 ! --dport 5 --sport 1:2 -j ACCEPT', '-p tcp -m tcp --sport 1:2 ! --dport 5 --tcp-option 3 --tcp-flags SYN SYN -j ACCEPT'],
  ['filter', '-m conntrack --ctdir REPLY --ctexpire 5:10 --ctstatus CONFIRMED,ASSURED --ctrepldstport 5 --ctreplsrcport 6:7 --ctorigsrcport 8 --ctrepldst 1.2.3.0/24 --ctreplsrc 2.2.2.2 --ctorigsrc 3.3.3.3/255.255.0.0 --ctproto tcp --ctstate SNAT,DNAT,UNTRACKED -j ACCEPT',
    '-m conntrack --ctstate UNTRACKED,SNAT,DNAT --ctproto 6 --ctorigsrc 3.3.3.3/16 --ctreplsrc 2.2.2.2 --ctrepldst 1.2.3.0/24 --ctorigsrcport 8 --ctreplsrcport 6:7 --ctrepldstport 5 --ctstatus ASSURED,CONFIRMED --ctexpire 5:10 --ctdir REPLY -j ACCEPT'],
  ['filter', '-m conntrack ! --ctproto 17 ! --ctstatus NONE ! --ctexpire 5 ! --ctorigsrc 1.2.3.4 -j ACCEPT', '-m conntrack ! --ctproto 17 ! --ctorigsrc 1.2.3.4 ! --ctstatus NONE ! --ctexpire 5 -j ACCEPT'],
  ['filter', '-m recent --rdest --mask 255.255.0.0 --rttl --hitcount 2 --update --seconds 5 --name X -j ACCEPT', '-m recent --update --seconds 5 --hitcount 2 --rttl --name X --mask 255.255.0.0 --rdest -j ACCEPT'],
  ['filter', '-m recent ! --remove', '-m recent ! --remove --name DEFAULT --mask 255.255.255.255 --rsource'],
  ['filter', '-m physdev --physdev-is-bridged ! --physdev-is-out --physdev-is-in --physdev-out b+ ! --physdev-in a -j ACCEPT', '-m physdev --physdev-is-in ! --physdev-in a ! --physdev-is-out --physdev-out b+ --physdev-is-bridged -j ACCEPT'],
  ['filter', '-m addrtype --limit-iface-out ! --dst-type unicast,local --src-type BLACKHOLE,unspec,xres -j ACCEPT', '-m addrtype --src-type UNSPEC,BLACKHOLE,XRESOLVE ! --dst-type UNICAST,LOCAL --limit-iface-out -j ACCEPT'],
  ['filter', '-m statistic --mode random --probability 1 -j ACCEPT', '-m statistic --mode random --probability 1.00000000000 -j ACCEPT'],
  ['filter', '-m statistic --mode random --probability 0 -j ACCEPT', '-m statistic --mode random --probability 0.00000000000 -j ACCEPT'],
  ['filter', '-m statistic --mode nth --every 3 --packet 0 -j ACCEPT', '-m statistic --mode nth --every 3 --packet 0 -j ACCEPT'],
  ['filter', '-m state ! --state UNTRACKED,NEW,INVALID -j ACCEPT', '-m state ! --state INVALID,NEW,UNTRACKED -j ACCEPT'],
  ['filter', '-m conntrack --ctstate new,est -j ACCEPT', '-m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT'],
  ['filter', '-j LOG --log-uid --log-macdecode --log-ip-options --log-tcp-options --log-tcp-sequence --log-level 4 --log-prefix x', '-j LOG --log-prefix x --log-tcp-sequence --log-tcp-options --log-ip-options --log-uid --log-macdecode'],
  ['filter', '-j LOG --log-level debug', '-j LOG --log-level 7'],
  ['filter', '-j LOG', '-j LOG'],
  ['filter', '-j REJECT --reject-with icmp-host-prohib', '-j REJECT --reject-with icmp-host-prohibited'],
  ['filter', '-j REJECT --reject-with host', '-j REJECT --reject-with icmp-host-unreachable'],
  ['filter', '-j MARK --set-xmark 5', '-j MARK --set-xmark 0x5/0xffffffff'],
  ['filter', '-j MARK --set-mark 5/0xf0', '-j MARK --set-xmark 0x5/0xf5'],
  ['filter', '-j CONNMARK --or-mark 0x4', '-j CONNMARK --set-xmark 0x4/0x4'],
  ['filter', '-j CONNMARK --save-mark --nfmask 0xf', '-j CONNMARK --save-mark --nfmask 0xf --ctmask 0xffffffff'],
  ['filter', '-j CONNMARK --restore-mark --ctmask 0xe', '-j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xe'],
  ['filter', '-m mark --mark 0x5/0xffffffff', '-m mark --mark 0x5'],
  ['filter', '-m mark --mark 0x5/0x0', '-m mark --mark 0x5/0x0'],
  ['filter', '-p udp -m multiport --destination-ports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 -j ACCEPT', '-p udp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 -j ACCEPT'],
  ['filter', '-p tcp --sport ssh:http -j ACCEPT', '-p tcp -m tcp --sport 22:80 -j ACCEPT'],
  ['filter', '-m comment --comment a -m comment --comment "x y" -j ACCEPT', '-m comment --comment a -m comment --comment "x y" -j ACCEPT'],
  ['filter', '-m comment --comment "" -j ACCEPT', '-m comment --comment "" -j ACCEPT'],
  ['filter', '-m mark --mark 0x10 -m mark --mark 0x20 -j ACCEPT', '-m mark --mark 0x10 -m mark --mark 0x20 -j ACCEPT'],
  ['filter', '-p tcp ! --syn -j ACCEPT', '-p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT'],
  ['filter', '-p tcp --dport=80 -j ACCEPT', '-p tcp -m tcp --dport 80 -j ACCEPT'],
  ['filter', '-fj ACCEPT', '-f -j ACCEPT'],
  ['filter', '-p tcp --dport 0x50 -j ACCEPT', '-p tcp -m tcp --dport 80 -j ACCEPT'],
  ['filter', '-p tcp --dport 010 -j ACCEPT', '-p tcp -m tcp --dport 8 -j ACCEPT'],
  ['filter', '-g X', '-g X'],
  ['filter', '-p icmp --icmp-type 8/0 -j ACCEPT', '-p icmp -m icmp --icmp-type 8/0 -j ACCEPT'],
  ['filter', '-p icmp --icmp-type any -j ACCEPT', '-p icmp -m icmp --icmp-type any -j ACCEPT'],
  ['filter', '-p icmp --icmp-type port-unreachable -j ACCEPT', '-p icmp -m icmp --icmp-type 3/3 -j ACCEPT'],
  ['filter', '-p icmp ! --icmp-type 3/1 -j ACCEPT', '-p icmp -m icmp ! --icmp-type 3/1 -j ACCEPT'],
  ['filter', '-p icmp --icmp-type echo-reply -j ACCEPT', '-p icmp -m icmp --icmp-type 0 -j ACCEPT'],
  ['filter', '-p tcp -m multiport ! --sports 1,2:3 -j ACCEPT', '-p tcp -m multiport ! --sports 1,2:3 -j ACCEPT'],
  ['filter', '-p tcp ! --tcp-flags ALL NONE -j ACCEPT', '-p tcp -m tcp ! --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE -j ACCEPT'],
  ['filter', '-s 10.0.0.0/0.0.0.0 -j ACCEPT', '-j ACCEPT'],
  ['filter', '-s 10.0.0.0/255.255.0.255 -j ACCEPT', '-s 10.0.0.0/255.255.0.255 -j ACCEPT'],
  ['filter', '-p 0 -j ACCEPT', '-j ACCEPT'],
  ['filter', '-p 255 -j ACCEPT', '-p 255 -j ACCEPT'],
  ['filter', '-p 47 -j ACCEPT', '-p gre -j ACCEPT'],
  ['filter', '-p 50 -j ACCEPT', '-p esp -j ACCEPT'],
  ['filter', '-p 112 -j ACCEPT', '-p vrrp -j ACCEPT'],
  ['filter', '-p 200 -j ACCEPT', '-p 200 -j ACCEPT'],
  ['filter', '-p ipv6-icmp -j ACCEPT', '-p ipv6-icmp -j ACCEPT'],
  ['filter', '-p udplite -j ACCEPT', '-p udplite -j ACCEPT'],
  ['filter', '-p tcp -m tcp --dport 80 -m comment --comment x --sport 5 -j ACCEPT', '-p tcp -m tcp --sport 5 --dport 80 -m comment --comment x -j ACCEPT'],
  ['filter', '-p tcp --dport 80 -m tcp --sport 5 -j ACCEPT', '-p tcp -m tcp --sport 5 --dport 80 -j ACCEPT'],
  ['filter', '-p tcp -m tcp --dport 80 -m tcp --sport 5 -m comment --comment x --tcp-flags SYN SYN -j ACCEPT', '-p tcp -m tcp --sport 5 --dport 80 --tcp-flags SYN SYN -m comment --comment x -j ACCEPT'],
  ['filter', '-p tcp --dport 80 -m tcp -j ACCEPT', '-p tcp -m tcp --dport 80 -m tcp -j ACCEPT'],
  ['filter', '-p tcp -m tcp -m tcp -j ACCEPT', '-p tcp -m tcp -m tcp -j ACCEPT'],
  ['filter', '-p tcp -m tcp --dport 80 -m tcp --dport 81 -j ACCEPT', '-p tcp -m tcp --dport 81 -j ACCEPT'],
  ['filter', '-p sctp -m sctp --dport 1 -m comment --comment x -m sctp --sport 2 -j ACCEPT', '-p sctp -m sctp --dport 1 -m comment --comment x -m sctp --sport 2 -j ACCEPT'],
  ['filter', '-p udp -m udp --dport 1 -m comment --comment x -m udp --sport 2 -j ACCEPT', '-p udp -m udp --sport 2 --dport 1 -m comment --comment x -j ACCEPT'],
  ['filter', '-p tcp -m tcp --tcp-option 5 -m comment --comment x -m tcp --sport 2 -j ACCEPT', '-p tcp -m tcp --tcp-option 5 -m comment --comment x -m tcp --sport 2 -j ACCEPT'],
  ['filter', '-p icmp -m icmp --icmp-type 8 -m comment --comment x -m icmp --icmp-type 0 -j ACCEPT', '-p icmp -m icmp --icmp-type 8 -m comment --comment x -m icmp --icmp-type 0 -j ACCEPT'],
  ['filter', '-p tcp -m tcp --tcp-flags SYN,RST SYN -m comment --comment x -m tcp --tcp-flags ACK ACK -j ACCEPT', '-p tcp -m tcp --tcp-flags ACK ACK -m comment --comment x -j ACCEPT'],
  ['filter', '-p tcp -m tcp --dport 80:80 -j ACCEPT', '-p tcp -m tcp --dport 80 -j ACCEPT'],
  ['filter', '-p udp -m multiport --dports 80,80 -j ACCEPT', '-p udp -m multiport --dports 80,80 -j ACCEPT'],
  ['filter', '-p tcp -m multiport --ports 1,2 -m multiport --sports 3 -j ACCEPT', '-p tcp -m multiport --ports 1,2 -m multiport --sports 3 -j ACCEPT'],
  ['filter', '-p tcp -m tcp -m tcp --dport 80 -j ACCEPT', '-p tcp -m tcp -m tcp --dport 80 -j ACCEPT'],
  ['filter', '-p tcp -m tcp --dport 80 -m tcp -m tcp --sport 5 -j ACCEPT', '-p tcp -m tcp --sport 5 --dport 80 -m tcp -j ACCEPT'],
  ['filter', '-m connmark ! --mark 0x1/0x3 -j ACCEPT', '-m connmark ! --mark 0x1/0x3 -j ACCEPT'],
  ['filter', '-p tcp -j ACCEPT --dport 80', '-p tcp -m tcp --dport 80 -j ACCEPT'],
  ['filter', '-i eth012345678901 -j ACCEPT', '-i eth012345678901 -j ACCEPT'],
  ['filter', '-o eth0 -i eth1 -j ACCEPT', '-i eth1 -o eth0 -j ACCEPT'],
  ['filter', '--jump ACCEPT --proto tcp --match tcp --dport 1 --source 1.2.3.4 --destination 1.2.3.4 --in-interface a --fragment', '-s 1.2.3.4/32 -d 1.2.3.4/32 -i a -p tcp -f -m tcp --dport 1 -j ACCEPT'],
  ['filter', '-p tcp -m tcp ! --syn --dport 1 -j ACCEPT', '-p tcp -m tcp --dport 1 ! --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT'],
  ['filter', '-m state --state NEW -m conntrack --ctstate NEW -j ACCEPT', '-m state --state NEW -m conntrack --ctstate NEW -j ACCEPT'],
  ['filter', '-m limit --limit 5/min -j ACCEPT', '-m limit --limit 5/min -j ACCEPT'],
  ['filter', '-j NFLOG --nflog-group 5', '-j NFLOG --nflog-group 5'],
  ['filter', '-j TRACE', '-j TRACE'],
  ['nat', '-p tcp -j DNAT --to-destination :80', '-p tcp -j DNAT --to-destination :80'],
  ['nat', '-p tcp -j DNAT --to-destination 1.2.3.4:80-90', '-p tcp -j DNAT --to-destination 1.2.3.4:80-90'],
  ['nat', '-p tcp -j DNAT --to-destination 1.2.3.4-1.2.3.9', '-p tcp -j DNAT --to-destination 1.2.3.4-1.2.3.9'],
  ['nat', '-j SNAT --to-source 1.2.3.4 --persistent --random-fully --random', '-j SNAT --to-source 1.2.3.4 --random --random-fully --persistent'],
  ['nat', '-j MASQUERADE --random-fully --random', '-j MASQUERADE --random --random-fully'],
  ['nat', '-p udp -j MASQUERADE --to-ports 5', '-p udp -j MASQUERADE --to-ports 5'],
  ['nat', '-p tcp -j REDIRECT --random --to-ports 5-6', '-p tcp -j REDIRECT --to-ports 5-6 --random'],
  ['nat', '-j REDIRECT', '-j REDIRECT'],
  ['nat', '-A OUTPUT -j REDIRECT', '-j REDIRECT'],
  ['nat', '-j MARK --set-mark 1', '-j MARK --set-xmark 0x1/0xffffffff'],
  ['nat', '-j LOG', '-j LOG'],
  ['filter', '-s 010.0.0.1 -j ACCEPT', '-s 8.0.0.1/32 -j ACCEPT'],
  ['filter', '-s 0x0a.0.0.1 -j ACCEPT', '-s 10.0.0.1/32 -j ACCEPT'],
  ['filter', '-s 1.2.3 -j ACCEPT', '-s 1.2.3.0/32 -j ACCEPT'],
  ['filter', '-s 10.1/16 -j ACCEPT', '-s 10.1.0.0/16 -j ACCEPT'],
  ['filter', '-s 1.2.3.4/0x10 -j ACCEPT', '-s 1.2.0.0/16 -j ACCEPT'],
  ['filter', '-s 1.2.3.4/010 -j ACCEPT', '-s 1.0.0.0/8 -j ACCEPT'],
  ['filter', '-s 1 -j ACCEPT', '-s 1.0.0.0/32 -j ACCEPT'],
  ['filter', '-s 1.2.3.4/0377.0.0.0 -j ACCEPT', '-s 1.0.0.0/8 -j ACCEPT'],
  ['filter', '-s 0x0a.0.0.0/0xff.0.0.0 -j ACCEPT', '-s 10.0.0.0/8 -j ACCEPT']
]

for (const [table, input, expected] of [...DOC_ROWS, ...KERNEL_ROWS]) {
  test(`${table}: ${input}`, () => {
    const lines = saveLines(table, input)
    assert.equal(lines.length, 1)
    const chain = /^-[AI] (\S+)/.exec(input)?.[1] ?? 'X'
    assert.equal(lines[0], `-A ${chain} ${expected}`)
  })
}

test('-I with an address list inserts each rule at the same position (reverse order, real kernel)', () => {
  assert.deepEqual(saveLines('filter', '-I X -s 1.1.1.1,2.2.2.2 ! -i eth+ -j X'), [
    '-A X -s 2.2.2.2/32 ! -i eth+ -j X',
    '-A X -s 1.1.1.1/32 ! -i eth+ -j X'
  ])
})

test('comma lists expand to the cross product, sources outermost', () => {
  assert.deepEqual(saveLines('filter', '-s 1.2.3.4,5.6.7.8 -d 9.9.9.9,8.8.8.8 -j ACCEPT'), [
    '-A X -s 1.2.3.4/32 -d 9.9.9.9/32 -j ACCEPT',
    '-A X -s 1.2.3.4/32 -d 8.8.8.8/32 -j ACCEPT',
    '-A X -s 5.6.7.8/32 -d 9.9.9.9/32 -j ACCEPT',
    '-A X -s 5.6.7.8/32 -d 8.8.8.8/32 -j ACCEPT'
  ])
})

// iptables-nft port-range readback quirks (checked on the real tool)
const NFT_PORT_ROWS: Row[] = [
  ['filter', '-p tcp ! --sport 0:100 -j ACCEPT', '-p tcp -m tcp --sport 101:65535 -j ACCEPT'],
  ['filter', '-p tcp ! --dport 100:65535 -j ACCEPT', '-p tcp -m tcp ! --dport 100:65535 -j ACCEPT'],
  ['filter', '-p tcp ! --sport 0 -j ACCEPT', '-p tcp -m tcp ! --sport 0 -j ACCEPT'],
  ['filter', '-p tcp --sport 0:100 -j ACCEPT', '-p tcp -m tcp --sport 0:100 -j ACCEPT'],
  ['filter', '-p tcp ! --sport 0:65535 -j ACCEPT', '-p tcp -j ACCEPT'],
  ['filter', '-p tcp --sport 0:65535 -j ACCEPT', '-p tcp -m tcp -j ACCEPT'],
  ['filter', '-p udp ! --dport 0:1023 -j ACCEPT', '-p udp -m udp --dport 1024:65535 -j ACCEPT'],
  ['filter', '-p sctp ! --dport 0:1023 -j ACCEPT', '-p sctp -m sctp ! --dport 0:1023 -j ACCEPT'],
  ['filter', '-p tcp ! --dport 65535:65535 -j ACCEPT', '-p tcp -m tcp ! --dport 65535 -j ACCEPT'],
  ['filter', '-p tcp ! --dport 0:0 -j ACCEPT', '-p tcp -m tcp ! --dport 0 -j ACCEPT'],
  ['filter', '-p tcp ! --sport 0:100 --tcp-option 2 -j ACCEPT', '-p tcp -m tcp ! --sport 0:100 --tcp-option 2 -j ACCEPT'],
  ['filter', '-p tcp --tcp-flags ALL ALL ! --sport 0:100 -j ACCEPT', '-p tcp -m tcp --sport 101:65535 --tcp-flags FIN,SYN,RST,PSH,ACK,URG FIN,SYN,RST,PSH,ACK,URG -j ACCEPT']
]
for (const [table, input, expected] of NFT_PORT_ROWS) {
  test(`nft port readback ${table}: ${input}`, () => {
    assert.deepEqual(saveLines(table, input), [`-A X ${expected}`])
  })
}
