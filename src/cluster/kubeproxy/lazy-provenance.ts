/**
 * Provenance of a Service fragment's parsed rules, worked out when first read.
 *
 * A fragment keeps only its restore text; its per-rule records (which carry the provenance) are
 * generated again from the Service and its EndpointSlices on each read, which costs about as much as
 * writing the rules. A node of 10,000 Services would pay that for all of them on every parse, while a
 * trace reads the provenance of a handful of rules. So each parsed rule gets a small stand-in that
 * reads like the record's provenance (the same fields, the same JSON) and asks its fragment for the
 * records on first use; the fragment then keeps them for all its rules.
 */
import type { RuleProvenance, ServiceFragment } from './types.ts'

/** One fragment's records' provenance, generated on first use and then kept. */
export class FragmentProvenance {
  #fragment: ServiceFragment
  #list: RuleProvenance[] | null = null

  constructor (fragment: ServiceFragment) {
    this.#fragment = fragment
  }

  /** the provenance of the fragment's `i`-th record (filter records first, then nat) */
  at (i: number): RuleProvenance {
    let list = this.#list
    if (list === null) {
      const records = this.#fragment.rules
      list = new Array<RuleProvenance>(records.length)
      for (let k = 0; k < records.length; k++) list[k] = records[k].prov
      this.#list = list
    }
    return list[i]
  }
}

/**
 * Reads as the `i`-th record's provenance: its fields are getters and `toJSON` gives the record's own
 * object, so JSON text, GraphQL fields and response schemas see exactly what an eager copy would give.
 * The state is in private fields, so it has no own enumerable keys of its own.
 */
export class LazyProvenance implements RuleProvenance {
  [key: string]: unknown
  #source: FragmentProvenance
  #index: number

  constructor (source: FragmentProvenance, index: number) {
    this.#source = source
    this.#index = index
  }

  #get (): RuleProvenance { return this.#source.at(this.#index) }
  get origin (): RuleProvenance['origin'] { return this.#get().origin }
  get service (): string | undefined { return this.#get().service }
  get servicePort (): string | undefined { return this.#get().servicePort }
  get endpoint (): string | undefined { return this.#get().endpoint }
  get field (): string | undefined { return this.#get().field }
  get note (): string | undefined { return this.#get().note }
  toJSON (): RuleProvenance { return this.#get() }
}
