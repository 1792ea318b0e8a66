/**
 * `docker run IMAGE manifest kubernetes`: the YAML read back structurally (a small parser of the block
 * subset the program writes, strict: a string that is not double-quoted is an error), for a Job and a
 * CronJob, and the fields a cluster operator relies on.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { dnsLabel, toYaml, validSchedule, type Yaml } from '../../src/artifact/entry/kubernetes.js'
import { simulate } from '../../src/sim/simulator.js'
import { auroraWorld, iniRoot, runEntry, show, writeRoot } from './entry-support.js'

type Value = string | number | boolean | Value[] | { [k: string]: Value }

/** The YAML subset: block maps and sequences by indentation, "…" strings (JSON syntax), numbers, booleans, {} and []; # comment lines. */
export const parseYaml = (text: string): Value => {
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))
  const indentOf = (l: string) => l.length - l.trimStart().length
  const scalar = (s: string): Value => {
    if (s === '{}') return {}
    if (s === '[]') return []
    if (s.startsWith('"')) return JSON.parse(s) as string
    if (s === 'true' || s === 'false') return s === 'true'
    if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s)
    throw new Error(`not a scalar this writer makes (an unquoted string?): ${s}`)
  }
  const KEY = /^("(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_./-]*):(?: (.*))?$/
  let i = 0
  const block = (indent: number): Value => {
    if (lines[i]!.trimStart().startsWith('- ')) {
      const out: Value[] = []
      while (i < lines.length && indentOf(lines[i]!) === indent && lines[i]!.trimStart().startsWith('- ')) {
        const rest = lines[i]!.slice(indent + 2)
        if (KEY.test(rest) || rest.startsWith('- ')) {
          // a map (or a list) that starts on the dash's line: read it as if that line were indented past the dash
          lines[i] = `${' '.repeat(indent + 2)}${rest}`
          out.push(block(indent + 2))
        } else {
          out.push(scalar(rest))
          i++
        }
      }
      return out
    }
    const out: { [k: string]: Value } = {}
    while (i < lines.length && indentOf(lines[i]!) === indent && !lines[i]!.trimStart().startsWith('- ')) {
      const m = KEY.exec(lines[i]!.slice(indent))
      if (m === null) throw new Error(`line ${i}: not "key: value": ${lines[i]}`)
      const key = m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : m[1]!
      if (key in out) throw new Error(`key ${key} twice`)
      i++
      if (m[2] !== undefined) out[key] = scalar(m[2])
      else {
        const next = lines[i]
        if (next === undefined || indentOf(next) <= indent) throw new Error(`key ${key} has no value`)
        out[key] = block(indentOf(next))
      }
    }
    return out
  }
  const v = block(0)
  if (i !== lines.length) throw new Error(`line ${i} not read: ${lines[i]}`)
  return v
}

const at = (v: Value, ...path: Array<string | number>): any => path.reduce<any>((x, k) => (x === undefined ? undefined : x[k]), v)

test('toYaml: what it writes reads back as the same value, whatever the strings hold', () => {
  const value: Yaml = {
    plain: 'x',
    tricky: 'a: b # c\n- d: "e" \\ \u2028 → {f} [g] *h &i !j %k @l `m',
    'key with: colon': true,
    n: 0,
    list: ['one', { a: 1, b: [] }, [], {}, [1, 2]],
    empty: {},
    nested: { deeper: { deepest: ['y'] } },
  }
  assert.equal(parseYaml(toYaml(value)), value as Value)
  assert.match(toYaml({ a: 'yes' }), /^a: "yes"\n$/, 'strings are always quoted (yes/no/on are not booleans here)')
  assert.is(toYaml({ a: '\u2028→' }), 'a: "\\u2028\\u2192"\n', 'past ASCII escaped: YAML 1.1 breaks lines at U+2028')
})

test('dnsLabel and validSchedule', () => {
  assert.is(dnsLabel('mitosis-shop-staging-clone'), 'mitosis-shop-staging-clone')
  assert.is(dnsLabel('Shop_Staging..x--y-'), 'shop-staging-x-y')
  assert.is(dnsLabel('9lives'), 'm-9lives')
  const long = dnsLabel(`mitosis-${'a'.repeat(70)}-clone`, 52)
  assert.ok(long.length <= 52 && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(long), long)
  for (const s of ['0 3 * * 1', '*/15 * * * *', '@daily', '0 0 1 JAN *']) assert.ok(validSchedule(s), s)
  for (const s of ['', 'daily', '0 3 * *', '0 3 * * 1 2', '@sometimes']) assert.not.ok(validSchedule(s), s)
})

test('manifest kubernetes: a Job that runs converge as the image contract asks', async () => {
  const root = await iniRoot(simulate(auroraWorld()))
  const r = await runEntry(root.dir, ['manifest', 'kubernetes'], undefined)
  assert.is(r.code, 0, show(r))
  assert.match(r.stdout, /^# mitosis artifact: converge --mode clone, shop-prod → shop-staging in us-east-1 \(\d+ steps\)\n/)
  // not pinned: said, and how to pin it
  assert.match(r.stdout, /^# image example\/db-artifact:1: a tag \(the one the image was built with\), NOT pinned/m)
  assert.match(r.stdout, /run manifest kubernetes --image REPO@sha256:<digest>/)
  const job = parseYaml(r.stdout)
  assert.is(at(job, 'apiVersion'), 'batch/v1')
  assert.is(at(job, 'kind'), 'Job')
  assert.is(at(job, 'metadata', 'name'), 'mitosis-shop-staging-clone')
  assert.is(at(job, 'metadata', 'namespace'), undefined)
  assert.is(at(job, 'metadata', 'annotations', 'io.mitosis/plan-digest'), root.manifest.planDigest)
  const spec = at(job, 'spec')
  assert.ok(typeof spec.backoffLimit === 'number' && spec.backoffLimit > 0)
  assert.equal(spec.podFailurePolicy.rules, [
    { action: 'FailJob', onExitCodes: { containerName: 'converge', operator: 'In', values: [2, 3] } },
    { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
  ])
  const pod = spec.template.spec
  assert.is(pod.restartPolicy, 'Never')
  assert.is(pod.serviceAccountName, 'mitosis-shop-staging')
  assert.is(pod.securityContext.runAsNonRoot, true)
  assert.is(pod.securityContext.runAsUser, 10001)
  assert.is(pod.securityContext.runAsGroup, 10001)
  assert.is(pod.containers.length, 1)
  const c = pod.containers[0]
  assert.is(c.name, 'converge')
  assert.is(c.image, 'example/db-artifact:1')
  assert.equal(c.args, ['converge', '--mode', 'clone'])
  assert.equal(c.env, [
    { name: 'AWS_REGION', value: 'us-east-1' },
    { name: 'MITOSIS_DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'mitosis-shop-staging-db-password', key: 'password' } } },
  ])
  assert.equal(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } })
  assert.is(c.terminationMessagePath, '/dev/termination-log')
  assert.is(c.terminationMessagePolicy, 'FallbackToLogsOnError')
  assert.equal(c.volumeMounts, [{ name: 'tmp', mountPath: '/tmp' }])
  assert.equal(pod.volumes, [{ name: 'tmp', emptyDir: {} }])
  assert.match(r.stdout, /^# {3}kubectl create secret generic mitosis-shop-staging-db-password --from-file=password=\.\/password\.txt$/m)
})

test('manifest kubernetes --schedule: a CronJob that never runs two at once, by digest, in a namespace, with the names given', async () => {
  const root = await iniRoot(simulate(auroraWorld()))
  const digest = `registry.example.com/db/artifact@sha256:${'ab12'.repeat(16)}`
  const r = await runEntry(root.dir, ['manifest', 'kubernetes', '--schedule', '0 3 * * 1', '--image', digest, '--namespace', 'data', '--service-account', 'shop-refresh', '--secret', 'shop-db'], undefined)
  assert.is(r.code, 0, show(r))
  assert.match(r.stdout, /^# image registry\.example\.com\/db\/artifact@sha256:(ab12){16}: pinned by digest/m)
  assert.not.match(r.stdout, /NOT pinned/)
  const cron = parseYaml(r.stdout)
  assert.is(at(cron, 'kind'), 'CronJob')
  assert.is(at(cron, 'metadata', 'namespace'), 'data')
  assert.ok(String(at(cron, 'metadata', 'name')).length <= 52)
  assert.is(at(cron, 'spec', 'schedule'), '0 3 * * 1')
  assert.is(at(cron, 'spec', 'concurrencyPolicy'), 'Forbid')
  const job = at(cron, 'spec', 'jobTemplate', 'spec')
  assert.equal(job.podFailurePolicy.rules[0].onExitCodes.values, [2, 3])
  const pod = job.template.spec
  assert.is(pod.restartPolicy, 'Never')
  assert.is(pod.serviceAccountName, 'shop-refresh')
  assert.is(pod.containers[0].image, digest)
  // each scheduled run is a refresh: the reviewed plan first, then the same request planned again
  assert.equal(pod.containers[0].args, ['converge', '--mode', 'clone', '--replan'])
  assert.match(r.stdout, /^# A scheduled refresh: converge --replan\./m)
  assert.is(pod.containers[0].imagePullPolicy, 'IfNotPresent')
  assert.is(pod.containers[0].env[1].valueFrom.secretKeyRef.name, 'shop-db')
  assert.is(pod.containers[0].securityContext.readOnlyRootFilesystem, true)
})

test('manifest kubernetes refuses bad input (exit 2, one line); an image from a saved plan names the default tag', async () => {
  const root = await iniRoot(simulate(auroraWorld()))
  for (const [args, pattern] of [
    [['--schedule', 'weekly'], /^Error: manifest kubernetes: --schedule "weekly" is not a cron schedule/],
    [['--namespace', 'Data Team'], /^Error: manifest kubernetes: --namespace "Data Team" is not a Kubernetes name/],
    [['--image', 'a b'], /^Error: manifest kubernetes: --image "a b" is not an image reference$/],
    [['--mode', 'create'], /^Error: --mode create: this image has no create plan \(it has: clone\)$/],
  ] as const) {
    const r = await runEntry(root.dir, ['manifest', 'kubernetes', ...args], undefined)
    assert.is(r.code, 2, show(r))
    assert.is(r.stdout, '')
    assert.is(r.stderr.trimEnd().split('\n').length, 1, show(r))
    assert.match(r.stderr.trimEnd(), pattern)
  }
  const saved = writeRoot(root.planned)
  const r = await runEntry(saved.dir, ['manifest', 'kubernetes'], undefined)
  assert.is(r.code, 0, show(r))
  assert.is(at(parseYaml(r.stdout), 'spec', 'template', 'spec', 'containers', 0, 'image'), 'db-artifact:latest')
})

test.run()
