/**
 * What an apply takes and tells: its options, the events it emits while it runs, the failures it ends
 * with (one line each, naming the step and what to do), and its summary. The loop that runs a plan is
 * scheduler.ts (applyPlan); the effect of one step is step.ts.
 */
import type { Plan } from '../plan/plan.js'
import { renderRdsError, type RdsError } from './capabilities.js'
import type { ApplyChangelogOptions } from './schema.js'
import type { MissingSecret } from './secrets.js'
import { TAG_LEASE, type LeaseOptions } from './lease.js'

export interface ApplyOptions {
  readonly pollIntervalMs: number
  readonly stepTimeoutMs: number
  readonly hookTimeoutMs: number
  /**
   * Secret values by name, for the steps that name a secret ({fromSecret}) instead of holding it: put into
   * the request only when it is sent, never into an event or an error.
   */
  readonly secrets?: Readonly<Record<string, string>>
  /** For the schema step (RunLiquibase): Liquibase's home, environment, timeout. */
  readonly liquibase?: ApplyChangelogOptions
  /**
   * Aborted to interrupt the run (Ctrl-C, SIGTERM): no call is sent after it, a running hook is ended,
   * and the run stops with what is under way on RDS left to finish there; a re-run goes on.
   */
  readonly signal?: AbortSignal
  /** The run's lease on its target (one run per target at a time); without it no lease is taken. */
  readonly lease?: LeaseOptions
}

export type ApplyEvent =
  | { readonly type: 'resumed'; readonly at: number; readonly done: ReadonlyArray<number>; readonly running: ReadonlyArray<number> }
  | { readonly type: 'step-start'; readonly at: number; readonly n: number; readonly op: string; readonly id: string }
  | { readonly type: 'step-done'; readonly at: number; readonly n: number; readonly op: string; readonly id: string; readonly elapsedMs: number }
  | { readonly type: 'waiting'; readonly at: number; readonly steps: ReadonlyArray<{ readonly n: number; readonly id: string; readonly status: string }> }
  | { readonly type: 'hook-output'; readonly at: number; readonly stream: 'stdout' | 'stderr'; readonly line: string }
  | { readonly type: 'throttled'; readonly at: number; readonly action: string }
  | { readonly type: 'error'; readonly at: number; readonly n?: number | undefined; readonly message: string }
  /** Something a user should hear while nothing else is said: a step RDS will not start yet, a lease taken over. */
  | { readonly type: 'notice'; readonly at: number; readonly n?: number | undefined; readonly message: string }

export type ApplyFailure =
  | { readonly _tag: 'StepFailed'; readonly n: number; readonly id: string; readonly status: string }
  | { readonly _tag: 'Rds'; readonly n: number | undefined; readonly error: RdsError }
  | { readonly _tag: 'StepTimeout'; readonly n: number; readonly id: string; readonly ms: number }
  | { readonly _tag: 'HookFailed'; readonly code: number | null; readonly timedOut: boolean; readonly kept: ReadonlyArray<string> }
  | { readonly _tag: 'Stopped'; readonly n: number; readonly reason: string }
  | MissingSecret
  | { readonly _tag: 'SchemaFailed'; readonly n: number; readonly id: string; readonly message: string }
  | { readonly _tag: 'Refused'; readonly n: number; readonly reason: string }
  | { readonly _tag: 'Interrupted'; readonly at: number; readonly running: number }
  | { readonly _tag: 'LeaseHeld'; readonly target: string; readonly holder: string; readonly lost: boolean }
  | { readonly _tag: 'StepBlocked'; readonly n: number; readonly reason: string; readonly ms: number }

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`

export const renderApplyFailure = (f: ApplyFailure, plan: Plan): string => {
  switch (f._tag) {
    case 'StepFailed':
      return `step ${f.n}: ${f.id} is ${f.status}; stopped (re-run the same command once it is fixed to go on)`
    case 'Rds':
      return `${f.n === undefined ? '' : `step ${f.n}: `}${renderRdsError(f.error)}`
    case 'StepTimeout':
      return `step ${f.n}: ${f.id} did not finish within ${minutes(f.ms)} (--step-timeout); re-run the same command to keep waiting`
    case 'HookFailed':
      return `the restart hook ${f.timedOut ? 'timed out' : `exited with ${f.code ?? 'a signal'}`}; kept ${f.kept.join(', ')}: re-run the same command to run the hook again and finish, or rename them back to undo`
    case 'Stopped':
      return `stopped before step ${f.n}: ${f.reason}; re-run the same command to go on (run ${plan.run})`
    case 'MissingSecret':
      return `step ${f.n}: needs the secret ${JSON.stringify(f.name)} (the master password: --db-password-stdin or --db-password-file), which was not given`
    case 'SchemaFailed':
      return `step ${f.n}: the schema step on ${f.id} failed: ${f.message}; the cluster is kept: fix the changelog and re-run the same command (liquibase update skips what is applied)`
    case 'Interrupted':
      return `interrupted at step ${f.at} (${f.running} under way); re-run the same command to go on`
    case 'LeaseHeld':
      return f.lost
        ? `another run took over ${f.target} (its ${TAG_LEASE} tag: ${f.holder}); stopped before the next step: let that run finish, or re-run once it is gone`
        : `${f.target} is being changed by another run (its ${TAG_LEASE} tag: ${f.holder}); nothing was changed: wait for it to finish, or re-run once it is gone (an expired lease is taken over)`
    case 'StepBlocked':
      return `step ${f.n}: could not start for ${minutes(f.ms)}: ${f.reason}; stopped (re-run the same command once that is over)`
    case 'Refused':
      return `step ${f.n}: ${f.reason}; stopped with nothing sent for it (run ${plan.run})`
  }
}

export interface ApplySummary {
  readonly steps: number
  readonly skipped: number
  readonly elapsedMs: number
  readonly polls: number
}
