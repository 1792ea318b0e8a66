/**
 * Test support: the scaffolding of a suite that runs the CLI end to end against moto (test/support/moto.ts): moto
 * started by the first test that needs it and stopped after the suite's last (also when tests fail), temporary
 * directories removed after the suite, a listener for the proxy's requests, the CLI's environment and an SDK client
 * pointed at the proxy; and the helpers that compare the recorded conversation with a plan.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds'
import type { Plan, Step } from '../../src/plan/plan.js'
import { cleanEnv, cli, startCli, type Run, type StartedCli } from './cli.js'
import { isMutating, startMoto, whenMotoAvailable, type Moto, type RecordedRequest } from './moto.js'

export const REGION = 'us-east-1'

export interface MotoSuiteOptions {
  /** Names the suite's temporary directories (mitosis-<name>-XXXXXX). */
  readonly name: string
  /** startMoto's AWS fix-up layer (off by default: moto exactly as it is). */
  readonly awsFixups?: boolean
  /** The limit for one run of the CLI (default: test/support/cli.ts's). */
  readonly runLimitMs?: number
  /** startMoto's `forward`: actions moto answers itself, even those the proxy stands in for. */
  readonly forward?: ReadonlyArray<string>
  /** startMoto's `endpointAddress`: the host describe answers name for every endpoint. */
  readonly endpointAddress?: string
}

/** A request as the proxy received it, with whether the restart hook had already run at that moment. */
export interface Seen {
  readonly request: RecordedRequest
  readonly hookHadRun: boolean
}

export interface MotoSuite {
  /** Registers the suite's tests where moto_server can run (whenMotoAvailable), and the clean-up after them. */
  readonly tests: (suite: string, register: () => void) => void
  /** moto behind the recording proxy: started by the first test that asks. */
  readonly moto: () => Promise<Moto>
  /** moto emptied (POST /moto-api/reset) with no listener: for a test that seeds its own world. */
  readonly reset: () => Promise<Moto>
  /**
   * Called for every request the proxy receives (synchronously, before it is forwarded), until the next call; undefined
   * for none.
   */
  readonly listen: (listener: ((r: RecordedRequest) => void) | undefined) => void
  /** Records every request with whether `hookFile` existed when it arrived; `also` reacts to each. */
  readonly watch: (hookFile: string, also?: (r: RecordedRequest) => void) => Seen[]
  /** A new temporary directory, removed after the suite. */
  readonly tempDir: () => string
  /**
   * The CLI's environment: moto through the proxy, dummy keys, `home` (default: one temporary directory for the whole
   * suite) as an empty HOME, so no ~/.aws of the machine's plays a part.
   */
  readonly env: (moto: Moto, home?: string) => NodeJS.ProcessEnv
  /** The CLI run to its end within the suite's limit, `input` (if any) piped on its stdin. */
  readonly cli: (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, input?: string) => Promise<Run>
  /** The CLI started within the suite's limit (there to be killed). */
  readonly startCli: (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv) => StartedCli
}

export const motoSuite = (options: MotoSuiteOptions): MotoSuite => {
  const tempDirs: string[] = []
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), `mitosis-${options.name}-`))
    tempDirs.push(dir)
    return dir
  }
  let home: string | undefined

  let listener: ((r: RecordedRequest) => void) | undefined
  let starting: Promise<Moto> | undefined
  const moto = (): Promise<Moto> =>
    (starting ??= startMoto({
      awsFixups: options.awsFixups === true,
      onRequest: (r) => listener?.(r),
      ...(options.forward === undefined ? {} : { forward: options.forward }),
      ...(options.endpointAddress === undefined ? {} : { endpointAddress: options.endpointAddress }),
    }))

  const stop = async (): Promise<void> => {
    listener = undefined
    try {
      if (starting !== undefined) await starting.then((m) => m.stop(), () => undefined)
    } finally {
      starting = undefined
      for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
      home = undefined
    }
  }

  return Object.freeze({
    tests: (suite: string, register: () => void): void =>
      whenMotoAvailable(suite, () => {
        test.after(stop)
        register()
      }),
    moto,
    reset: async (): Promise<Moto> => {
      const m = await moto()
      listener = undefined
      await m.reset()
      return m
    },
    listen: (l: ((r: RecordedRequest) => void) | undefined): void => {
      listener = l
    },
    watch: (hookFile: string, also?: (r: RecordedRequest) => void): Seen[] => {
      const seen: Seen[] = []
      listener = (request) => {
        seen.push({ request, hookHadRun: existsSync(hookFile) })
        also?.(request)
      }
      return seen
    },
    tempDir,
    env: (m: Moto, dir: string = (home ??= tempDir())): NodeJS.ProcessEnv =>
      cleanEnv({
        AWS_ENDPOINT_URL: m.endpoint,
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        HOME: dir,
        AWS_CONFIG_FILE: join(dir, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
      }),
    cli: (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, input?: string): Promise<Run> => cli(args, env, options.runLimitMs, input),
    startCli: (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): StartedCli => startCli(args, env, options.runLimitMs),
  })
}

/** An RDS client through the proxy (dummy keys, no retries). Destroy it after use. */
export const sdk = (moto: Moto): RDSClient =>
  new RDSClient({ endpoint: moto.endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 })

// ---------------------------------------------------------------------------------------------------------------
// The conversation

/** A restart hook that appends the MITOSIS_* part of its environment to `file`, one block per run, ended by `--`. */
export const hookCommand = (file: string): string => `{ env | grep '^MITOSIS_' | sort; echo '--'; } >> '${file}'`

/** A query-protocol request's parameters as the input object they carry (list member names dropped). */
export const fromQuery = (params: Readonly<Record<string, string>>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(params)) {
    if (key === 'Action' || key === 'Version') continue
    // Tags.Tag.1.Key → Tags[0].Key; VpcSecurityGroupIds.VpcSecurityGroupId.2 → VpcSecurityGroupIds[1]; x.member.1 → x[0]
    const path: Array<string | number> = []
    for (const part of key.split('.')) {
      if (/^\d+$/.test(part)) {
        path.pop()
        path.push(Number(part) - 1)
      } else path.push(part)
    }
    let node: Record<string | number, unknown> = out
    for (const [k, segment] of path.entries()) {
      if (k === path.length - 1) {
        node[segment] = value
      } else {
        node[segment] ??= typeof path[k + 1] === 'number' ? [] : {}
        node = node[segment] as Record<string | number, unknown>
      }
    }
  }
  return out
}

/**
 * A plan request as the query protocol carries it: scalars as text, an empty list as an empty value; with `secret`,
 * a secret reference ({fromSecret}) as the secret the CLI was given.
 */
export const asQuery = (v: unknown, secret?: string): unknown => {
  if (Array.isArray(v)) return v.length === 0 ? '' : v.map((x) => asQuery(x, secret))
  if (v !== null && typeof v === 'object') {
    if (secret !== undefined && 'fromSecret' in v) return secret
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, asQuery(x, secret)]))
  }
  return String(v)
}

export const equalJson = (a: unknown, b: unknown): boolean => {
  try {
    assert.equal(a, b)
    return true
  } catch {
    return false
  }
}

export const describeRequest = (r: RecordedRequest): string => `${r.action} ${JSON.stringify(fromQuery(r.params))}`

/** The run's lease on the wire: the mitosis:lease tag written (taken, renewed) or taken away. No plan step. */
export const isLeaseWrite = (r: RecordedRequest): boolean =>
  r.action === 'AddTagsToResource' && Object.entries(r.params).some(([k, v]) => /^Tags\.(Tag|member)\.\d+\.Key$/.test(k) && v === 'mitosis:lease')
export const isLeaseRemoval = (r: RecordedRequest): boolean => r.action === 'RemoveTagsFromResource' && Object.values(r.params).includes('mitosis:lease')

/**
 * Each mutating request matched to the plan step whose request it carries exactly; every RDS step of the plan sent
 * exactly once; every step's request after the requests of the steps it waits for, the hook after the steps it waits
 * for and before the steps that wait for it (a secret reference carried as `secret`, the password the CLI was given).
 * Returns the step numbers in the order they were sent.
 */
export const assertConversation = (plan: Plan, seen: ReadonlyArray<Seen>, secret?: string): number[] => {
  const all = seen.filter((s) => isMutating(s.request))
  // the run's lease: written before anything else, taken away after everything else
  if (all.length > 0) {
    assert.ok(isLeaseWrite(all[0]!.request), `the first mutating request is not the lease: ${describeRequest(all[0]!.request)}`)
    assert.ok(isLeaseRemoval(all.at(-1)!.request), `the last mutating request does not take the lease away: ${describeRequest(all.at(-1)!.request)}`)
  }
  const mutating = all.filter((s) => !isLeaseWrite(s.request) && !isLeaseRemoval(s.request))
  const rdsSteps = plan.steps.filter((s) => s.op !== 'RunCommand')
  const sentAt = new Map<number, number>()
  const hookHadRun = new Map<number, boolean>()
  for (const [k, { request, hookHadRun: hook }] of mutating.entries()) {
    const carried = fromQuery(request.params)
    const step = rdsSteps.find((s) => s.op === request.action && !sentAt.has(s.n) && equalJson(asQuery(s.request, secret), carried))
    if (step === undefined) {
      const again = rdsSteps.find((s) => s.op === request.action && equalJson(asQuery(s.request, secret), carried))
      assert.unreachable(
        again !== undefined
          ? `step ${again.n} (${again.op} ${again.id}) was sent twice: ${describeRequest(request)}`
          : `a mutating request that is no step of the plan: ${describeRequest(request)}`,
      )
      return []
    }
    sentAt.set(step.n, k)
    hookHadRun.set(step.n, hook)
  }
  const missing = rdsSteps.filter((s) => !sentAt.has(s.n)).map((s) => `${s.n} ${s.op} ${s.id}`)
  assert.equal(missing, [], `plan steps never sent: ${missing.join('; ')}`)
  assert.is(mutating.length, rdsSteps.length, 'one mutating request per RDS step of the plan')

  const label = (s: Step) => `step ${s.n} (${s.op} ${s.id})`
  for (const s of plan.steps) {
    for (const a of s.after) {
      const before = plan.steps[a - 1]!
      if (s.op === 'RunCommand') {
        assert.not.ok(hookHadRun.get(a), `${label(before)} was sent after the hook, which waits for it`)
      } else if (before.op === 'RunCommand') {
        assert.ok(hookHadRun.get(s.n), `${label(s)} was sent before the hook had run, but waits for it`)
      } else {
        assert.ok(sentAt.get(a)! < sentAt.get(s.n)!, `${label(s)} was sent before ${label(before)}, which it waits for`)
      }
    }
  }
  return [...sentAt].sort((x, y) => x[1] - y[1]).map(([n]) => n)
}

// ---------------------------------------------------------------------------------------------------------------
// Aurora: what DescribeDBClusters and DescribeDBInstances show

export interface ClusterWorld {
  readonly clusters: ReadonlyMap<string, { readonly members: ReadonlyArray<string>; readonly json: string; readonly raw: Record<string, unknown> }>
  readonly instances: ReadonlyMap<string, { readonly cluster: string | undefined; readonly json: string }>
}

/**
 * What DescribeDBClusters and DescribeDBInstances show through the proxy, as the CLI sees them: each cluster's members,
 * cluster and instance as JSON without what moves by itself (the status and LatestRestorableTime), and each cluster as
 * described.
 */
export const clusterWorld = async (moto: Moto): Promise<ClusterWorld> => {
  const rds = sdk(moto)
  try {
    const cs = (await rds.send(new DescribeDBClustersCommand({}))).DBClusters ?? []
    const is = (await rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []
    return {
      clusters: new Map(
        cs.map((c) => [
          c.DBClusterIdentifier!,
          {
            members: (c.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier!).sort(),
            json: JSON.stringify({ ...c, Status: undefined, LatestRestorableTime: undefined }),
            raw: c as Record<string, unknown>,
          },
        ]),
      ),
      instances: new Map(is.map((i) => [i.DBInstanceIdentifier!, { cluster: i.DBClusterIdentifier, json: JSON.stringify({ ...i, DBInstanceStatus: undefined, LatestRestorableTime: undefined }) }])),
    }
  } finally {
    rds.destroy()
  }
}
