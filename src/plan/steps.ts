/** Building a plan's step list: numbers in order, and `after` kept to what is not already implied. */
import type { Operation } from './operations.js'
import type { Phase, Step } from './plan.js'

export class StepList {
  readonly steps: Step[] = []
  private readonly ancestors = new Map<number, ReadonlySet<number>>()

  add(operation: Operation, phase: Phase, after: ReadonlyArray<number>): number {
    const n = this.steps.length + 1
    const direct = [...new Set(after)].sort((a, b) => a - b)
    // drop a dependency that another dependency already waits for
    const reduced = direct.filter((a) => !direct.some((b) => b !== a && this.ancestors.get(b)!.has(a)))
    const all = new Set<number>(direct)
    for (const a of direct) for (const x of this.ancestors.get(a)!) all.add(x)
    this.ancestors.set(n, all)
    this.steps.push({ ...operation, n, after: reduced, phase } as Step)
    return n
  }
}
