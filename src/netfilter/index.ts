/**
 * Public API of the netfilter engine library (pure: no I/O, no clock, no randomness).
 */

export * from './model.ts'
/** The one error type the parser throws (code, line, column/token, reason). */
export { NetfilterError, type NetfilterErrorCode, type NetfilterErrorInit } from './errors.ts'
/** Parse iptables-save / iptables-restore text with restore semantics (`noflush`, `base`, `counters` options). */
export { parseRuleset, emptyTable, type ParseOptions, type RuleBlock } from './parse/ruleset.ts'
/** a chain's rule count without building lazily parsed rules */
export { ruleCount } from './parse/lazy-rules.ts'
/** Render a ruleset exactly like iptables-save v1.8.9 (nf_tables by default). */
export { renderRuleset, NFT_TABLE_ORDER, LEGACY_TABLE_ORDER, type RenderOptions } from './render/ruleset.ts'
/** The canonical `-A CHAIN …` line of one rule (used by traces). */
export { renderRule } from './render/rule.ts'
/** ` -m NAME …` text of one match / ` -j TARGET …` text of one target (leading space included). */
export { renderMatch } from './render/matches.ts'
export { renderTarget } from './render/targets.ts'
/** statistic probability helpers: kernel quantisation (`lround(p·2^31)`) and `%.11f` formatting. */
export { quantizeProbability, formatProbability, probabilityValue } from './probability.ts'
/** IPv4 helpers (strict numeric parsing, formatting, masks). */
export { parseIPv4, formatIPv4, prefixToMask, maskToPrefix, formatMask, parseAddrMask } from './addr.ts'
/** iptables-save's string quoting (`xtables_save_string`). */
export { saveString } from './quote.ts'
/** The restore-line tokenizer and its limits. */
export { tokenizeLine, MAX_ARGS, MAX_TOKEN, MAX_LINE } from './tokenize.ts'
/** Protocol name/number helpers. */
export { parseProtocol, protocolName } from './protocols.ts'
/** Packet evaluation with kernel semantics, conntrack/NAT, and TRACE-style renderers (see engine.ts). */
export * from './engine.ts'
