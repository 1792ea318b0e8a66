/**
 * Applying an Aurora clone against a real RDS API: two Aurora PostgreSQL clusters with their instances are created
 * in a private moto_server through the SDK, and the CLI (a child process, through the recording proxy of
 * test/support/moto.ts) clones shop-prod into shop-staging end to end, judged as a user would: the exit code, every
 * mutating request RDS received (each plan step exactly once, in the plan's graph order, nothing mutating on the
 * source), and what DescribeDBClusters / DescribeDBInstances show afterwards.
 *
 * moto differs from AWS in ways a cluster apply depends on; the proxy runs with its AWS fix-up layer (awsFixups,
 * documented in test/support/moto.ts). The product is not told and not changed.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds'
import type { Plan, Step } from '../src/plan/operations.js'
import { cleanEnv, cli as runCli, planOf, show, succeeded, type Run } from './support/cli.js'
import { startMoto, type Moto, type RecordedRequest, whenMotoAvailable, seedAuroraPair } from './support/moto.js'

const RUN_LIMIT_MS = 30_000
const cli = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Promise<Run> => runCli(args, env, RUN_LIMIT_MS)

const REGION = 'us-east-1'
const SOURCE = 'shop-prod'
const TARGET = 'shop-staging'
const SOURCE_IDS: ReadonlyArray<string> = [SOURCE, 'shop-prod-1', 'shop-prod-2']

const tempDirs: string[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'mitosis-moto-cluster-apply-'))
  tempDirs.push(dir)
  return dir
}

interface Seen {
  readonly request: RecordedRequest
  readonly hookHadRun: boolean
}
let listener: ((r: RecordedRequest) => void) | undefined
let starting: Promise<Moto> | undefined
const getMoto = (): Promise<Moto> => (starting ??= startMoto({ awsFixups: true, onRequest: (r) => listener?.(r) }))

const awsEnv = (moto: Moto, home: string): NodeJS.ProcessEnv =>
  cleanEnv({
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
  })

const sdk = (moto: Moto): RDSClient =>
  new RDSClient({ endpoint: moto.endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 })

interface World {
  readonly clusters: ReadonlyMap<string, { readonly members: ReadonlyArray<string>; readonly json: string }>
  readonly instances: ReadonlyMap<string, { readonly cluster: string | undefined; readonly json: string }>
}

/** What DescribeDBClusters and DescribeDBInstances show (through the proxy, as the CLI sees them). */
const world = async (moto: Moto): Promise<World> => {
  const rds = sdk(moto)
  try {
    // the status and LatestRestorableTime move by themselves; the rest is what a run could change
    const cs = (await rds.send(new DescribeDBClustersCommand({}))).DBClusters ?? []
    const is = (await rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? []
    return {
      clusters: new Map(
        cs.map((c) => [
          c.DBClusterIdentifier!,
          { members: (c.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier!).sort(), json: JSON.stringify({ ...c, Status: undefined, LatestRestorableTime: undefined }) },
        ]),
      ),
      instances: new Map(is.map((i) => [i.DBInstanceIdentifier!, { cluster: i.DBClusterIdentifier, json: JSON.stringify({ ...i, DBInstanceStatus: undefined, LatestRestorableTime: undefined }) }])),
    }
  } finally {
    rds.destroy()
  }
}

const isMutating = (r: RecordedRequest): boolean => r.action !== undefined && !r.action.startsWith('Describe') && !r.action.startsWith('List')

/** A query-protocol request's parameters as the input object they carry (list member names dropped). */
const fromQuery = (params: Readonly<Record<string, string>>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(params)) {
    if (key === 'Action' || key === 'Version') continue
    const path: Array<string | number> = []
    for (const part of key.split('.')) {
      if (/^\d+$/.test(part)) {
        path.pop()
        path.push(Number(part) - 1)
      } else path.push(part)
    }
    let node: Record<string | number, unknown> = out
    for (const [k, segment] of path.entries()) {
      if (k === path.length - 1) node[segment] = value
      else {
        node[segment] ??= typeof path[k + 1] === 'number' ? [] : {}
        node = node[segment] as Record<string | number, unknown>
      }
    }
  }
  return out
}

/** A plan request as the query protocol carries it: scalars as text, an empty list as an empty value. */
const asQuery = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.length === 0 ? '' : v.map(asQuery)
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, asQuery(x)]))
  return String(v)
}

const equalJson = (a: unknown, b: unknown): boolean => {
  try {
    assert.equal(a, b)
    return true
  } catch {
    return false
  }
}

const describeRequest = (r: RecordedRequest): string => `${r.action} ${JSON.stringify(fromQuery(r.params))}`

/** Every RDS step of the plan sent exactly once, each after the steps it waits for (the hook too). */
const assertConversation = (plan: Plan, seen: ReadonlyArray<Seen>): void => {
  const mutating = seen.filter((s) => isMutating(s.request))
  const rdsSteps = plan.steps.filter((s) => s.op !== 'RunCommand')
  const sentAt = new Map<number, number>()
  const hookHadRun = new Map<number, boolean>()
  for (const [k, { request, hookHadRun: hook }] of mutating.entries()) {
    const carried = fromQuery(request.params)
    const step = rdsSteps.find((s) => s.op === request.action && !sentAt.has(s.n) && equalJson(asQuery(s.request), carried))
    if (step === undefined) {
      const again = rdsSteps.find((s) => s.op === request.action && equalJson(asQuery(s.request), carried))
      assert.unreachable(
        again !== undefined
          ? `step ${again.n} (${again.op} ${again.id}) was sent twice: ${describeRequest(request)}`
          : `a mutating request that is no step of the plan: ${describeRequest(request)}`,
      )
      return
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
      if (s.op === 'RunCommand') assert.not.ok(hookHadRun.get(a), `${label(before)} was sent after the hook, which waits for it`)
      else if (before.op === 'RunCommand') assert.ok(hookHadRun.get(s.n), `${label(s)} was sent before the hook had run, but waits for it`)
      else assert.ok(sentAt.get(a)! < sentAt.get(s.n)!, `${label(s)} was sent before ${label(before)}, which it waits for`)
    }
  }
}

const namesSource = (value: string): boolean => SOURCE_IDS.some((id) => value === id || value.endsWith(`:db:${id}`) || value.endsWith(`:cluster:${id}`))

/** No mutating request names the source cluster or its instances, except as the source of the copy-on-write restore. */
const assertSourceUntouched = (seen: ReadonlyArray<Seen>): void => {
  for (const { request } of seen.filter((s) => isMutating(s.request))) {
    for (const [key, value] of Object.entries(request.params)) {
      if (!namesSource(value)) continue
      const allowed = (key === 'SourceDBClusterIdentifier' && request.action === 'RestoreDBClusterToPointInTime' && value === SOURCE) || /^Tags\.Tag\.\d+\.Value$/.test(key)
      assert.ok(allowed, `${request.action} names ${value} as ${key}: ${describeRequest(request)}`)
    }
    if (request.action === 'DeleteDBInstance') assert.match(request.params['DBInstanceIdentifier'] ?? '', /^old-/, `DeleteDBInstance only on old-*: ${describeRequest(request)}`)
    if (request.action === 'DeleteDBCluster') assert.match(request.params['DBClusterIdentifier'] ?? '', /^old-/, `DeleteDBCluster only on old-*: ${describeRequest(request)}`)
  }
}

const hookCommand = (file: string): string => `{ env | grep '^MITOSIS_' | sort; echo '--'; } >> '${file}'`

whenMotoAvailable('moto cluster apply tests', () => {
  test.after(async () => {
    listener = undefined
    try {
      if (starting !== undefined) await starting.then((m) => m.stop(), () => undefined)
    } finally {
      for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
    }
  })

  test('an Aurora clone applied end to end against moto: exit 0, the plan sent as planned, the source untouched, the new cluster in place', async () => {
    const moto = await getMoto()
    listener = undefined
    await moto.reset()
    await seedAuroraPair(moto.endpoint)
    const dir = tempDir()
    const hookFile = join(dir, 'hook.log')
    const hook = hookCommand(hookFile)
    const env = awsEnv(moto, dir)
    const before = await world(moto)

    moto.clearRequests()
    const plan = planOf(await cli(['--source', SOURCE, '--target', TARGET, '--restart', hook, '--plan', '--json'], env))
    assert.equal(moto.requests().filter(isMutating).map((r) => r.action), [], '--plan mutates nothing')
    assert.is(plan.steps[0]!.op, 'RestoreDBClusterToPointInTime')

    const seen: Seen[] = []
    listener = (request) => seen.push({ request, hookHadRun: existsSync(hookFile) })
    const r = await cli(['--source', SOURCE, '--target', TARGET, '--restart', hook, '--yes', '--poll-interval', '0.2'], env)
    listener = undefined
    succeeded(r)
    assert.match(r.stdout, new RegExp(`^Cloned ${SOURCE} into ${TARGET}: ${plan.steps.length} steps in [^\\n]*\\.$`, 'm'), show(r))

    assertConversation(plan, seen)
    assertSourceUntouched(seen)

    const after = await world(moto)
    const leftovers = [...after.clusters.keys(), ...after.instances.keys()].filter((id) => id.startsWith('temp-') || id.startsWith('old-'))
    assert.equal(leftovers, [], 'no temp-* or old-* left')
    assert.equal(after.clusters.get(TARGET)?.members, ['shop-staging-1', 'shop-staging-2'], 'the target cluster and its members')
    for (const id of ['shop-staging-1', 'shop-staging-2']) assert.is(after.instances.get(id)?.cluster, TARGET, `${id} is an instance of ${TARGET}`)
    assert.ok(after.clusters.get(TARGET)!.json !== before.clusters.get(TARGET)!.json, 'shop-staging is a new cluster')
    for (const id of SOURCE_IDS) {
      const was = id === SOURCE ? before.clusters.get(id)?.json : before.instances.get(id)?.json
      const now = id === SOURCE ? after.clusters.get(id)?.json : after.instances.get(id)?.json
      assert.is(now, was, `${id} is as it was`)
    }
    assert.ok(existsSync(hookFile), 'the hook ran')
  })
})

test.run()
