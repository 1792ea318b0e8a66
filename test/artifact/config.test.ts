import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import {
  decodeArtifactConfig,
  readArtifactConfig,
  renderConfigProblems,
  type ArtifactConfig,
} from '../../src/artifact/config.js'
import { repoRoot } from '../support/fixtures.js'

const F = 'artifact.ini'
const ok = (text: string): ArtifactConfig => {
  const r = decodeArtifactConfig(text, F)
  if (E.isLeft(r)) throw new Error(renderConfigProblems(r.left))
  return r.right
}
const refused = (text: string): string => {
  const r = decodeArtifactConfig(text, F)
  if (E.isRight(r)) throw new Error(`expected a refusal, got ${JSON.stringify(r.right)}`)
  return renderConfigProblems(r.left)
}
/** The seed's minimum with `extra` lines in [target_db], each replacing a line of the same key. */
const target = (...extra: string[]): string => {
  const keyOf = (line: string): string => line.split('=')[0]!.trim()
  const given = new Set(extra.flatMap((e) => e.split('\n')).map(keyOf))
  const base = ['subnet_ids = source', 'instance_type = db.r6g.large'].filter((l) => !given.has(keyOf(l)))
  return ['[source_db]', 'source_db_cluster_id = shop-prod', '', '[target_db]', ...base, ...extra, ''].join('\n')
}
const targetProblem = (line: string): string => refused(target(line))

test("the seed's example, verbatim from its README, decodes with every default", () => {
  const c = readArtifactConfig(`${repoRoot}examples/artifact.ini`)
  if (E.isLeft(c)) throw new Error(renderConfigProblems(c.left))
  assert.equal(c.right, {
    file: `${repoRoot}examples/artifact.ini`,
    source: { cluster: 'dbartifact-prod-create-cluster-1k326eivoq3i0', changelog: undefined },
    target: {
      cluster: 'dbartifact-prod-create-cluster-1k326eivoq3i0-artifact',
      region: undefined,
      subnets: { from: 'source' },
      securityGroups: { from: 'source' },
      instanceClass: 'db.r4.large',
      instanceCount: 1,
      databaseName: undefined,
      engineVersion: undefined,
      backupRetentionDays: undefined,
      backupWindow: undefined,
      maintenanceWindow: undefined,
      deletionProtection: false,
      tags: [],
      serverless: undefined,
    },
    artifact: { tag: 'db-artifact:latest', baseImage: undefined },
  })
})

test('the full example decodes every added key', () => {
  const c = readArtifactConfig(`${repoRoot}examples/artifact-full.ini`)
  if (E.isLeft(c)) throw new Error(renderConfigProblems(c.left))
  assert.equal(c.right.source, { cluster: 'shop-prod', changelog: 'db/changelog.yaml' })
  assert.equal(c.right.target, {
    cluster: 'shop-qa',
    region: 'eu-west-1',
    subnets: { from: 'config', ids: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'] },
    securityGroups: { from: 'config', ids: ['sg-0123abcd'] },
    instanceClass: 'db.serverless',
    instanceCount: 2,
    databaseName: 'shop',
    engineVersion: '15.4',
    backupRetentionDays: 7,
    backupWindow: '03:00-03:30',
    maintenanceWindow: 'sun:05:00-sun:05:30',
    deletionProtection: true,
    tags: [
      { Key: 'env', Value: 'qa' },
      { Key: 'team', Value: 'data' },
    ],
    serverless: { min: 0.5, max: 8 },
  })
  assert.equal(c.right.artifact, { tag: 'registry.example.com/shop/db-artifact:2026-12', baseImage: 'node:24-slim' })
})

test('a file that cannot be read is one problem naming it', () => {
  const c = readArtifactConfig(`${repoRoot}examples/no-such.ini`)
  assert.ok(E.isLeft(c))
  assert.is(renderConfigProblems(c.left), `${repoRoot}examples/no-such.ini: cannot be read: no such file`)
})

test('dontcare means none; identifiers are stored lower-case; a subnet list tolerates spaces', () => {
  const c = ok(
    [
      '[source_db]',
      'source_db_cluster_id = Shop-Prod',
      'liquibase_changelog_path = dontcare',
      '[target_db]',
      'subnet_ids =   subnet-0a ,subnet-0b,  subnet-0c  ',
      'instance_type = db.r4.large',
      'database_name = dontcare',
      'security_group_ids = source',
      'deletion_protection = false',
      '[artifact]',
      'tag = mine',
    ].join('\n'),
  )
  assert.equal(c.source, { cluster: 'shop-prod', changelog: undefined })
  assert.is(c.target.cluster, 'shop-prod-artifact')
  assert.equal(c.target.subnets, { from: 'config', ids: ['subnet-0a', 'subnet-0b', 'subnet-0c'] })
  assert.is(c.target.databaseName, undefined)
  assert.equal(c.target.securityGroups, { from: 'source' })
  assert.is(c.target.deletionProtection, false)
  assert.is(c.artifact.tag, 'mine')
  assert.is(ok(target('database_name = null')).target.databaseName, 'null', 'ini reads null as a value; here it is text')
})

test('missing sections, and keys outside any section', () => {
  assert.is(
    refused('region = us-east-1\n'),
    [
      'artifact.ini: region: is outside any section; put it under [source_db], [target_db] or [artifact]',
      'artifact.ini: [source_db]: missing; it needs source_db_cluster_id',
      'artifact.ini: [target_db]: missing; it needs subnet_ids and instance_type',
    ].join('\n'),
  )
})

test('missing keys', () => {
  assert.is(
    refused('[source_db]\n[target_db]\nsubnet_ids = source\n'),
    ['artifact.ini: [source_db] source_db_cluster_id: missing', 'artifact.ini: [target_db] instance_type: missing'].join('\n'),
  )
  assert.is(refused('[source_db]\nsource_db_cluster_id = a\n[target_db]\ninstance_type = db.t3.medium\n'), 'artifact.ini: [target_db] subnet_ids: missing')
})

test('bad values of each key, each naming its section and key', () => {
  const cases: Array<[string, string]> = [
    ['subnet_ids = subnet-a', 'artifact.ini: [target_db] subnet_ids: "subnet-a" names one subnet; give "source" or at least two'],
    ['subnet_ids = subnet-a, sub-b, x', 'artifact.ini: [target_db] subnet_ids: "sub-b", "x" are not subnet IDs (subnet-…)'],
    ['subnet_ids = subnet-a,,subnet-b', 'artifact.ini: [target_db] subnet_ids: "subnet-a,,subnet-b" has an empty entry'],
    ['subnet_ids = subnet-a, subnet-a', 'artifact.ini: [target_db] subnet_ids: "subnet-a, subnet-a" names subnet-a twice'],
    ['subnet_ids =', 'artifact.ini: [target_db] subnet_ids: is empty'],
    ['instance_type = r4.large', 'artifact.ini: [target_db] instance_type: "r4.large" is not a DB instance class (db.…, e.g. db.r6g.large)'],
    ['database_name = my-db', 'artifact.ini: [target_db] database_name: "my-db" is not a database name (a letter, then up to 62 letters, digits or underscores)'],
    ['target_db_cluster_id = 1qa', 'artifact.ini: [target_db] target_db_cluster_id: "1qa" must start with a letter'],
    ['target_db_cluster_id = shop-prod', 'artifact.ini: [target_db] target_db_cluster_id: "shop-prod" is the source cluster; give another'],
    ['region = Europe', 'artifact.ini: [target_db] region: "Europe" is not an AWS Region (e.g. eu-west-1)'],
    ['instance_count = 0', 'artifact.ini: [target_db] instance_count: "0" is not a whole number of instances (a writer and up to 15 readers) from 1 to 16'],
    ['instance_count = 1.5', 'artifact.ini: [target_db] instance_count: "1.5" is not a whole number of instances (a writer and up to 15 readers) from 1 to 16'],
    ['engine_version = latest', 'artifact.ini: [target_db] engine_version: "latest" is not an engine version (e.g. 15.4)'],
    ['security_group_ids = default', 'artifact.ini: [target_db] security_group_ids: "default" is not a security group ID (sg-…)'],
    ['backup_retention_days = 36', 'artifact.ini: [target_db] backup_retention_days: "36" is not a whole number of days from 1 to 35'],
    ['backup_retention_days = 0', 'artifact.ini: [target_db] backup_retention_days: "0" is not a whole number of days from 1 to 35'],
    ['backup_window = 3:00-3:30', 'artifact.ini: [target_db] backup_window: "3:00-3:30" is not a window hh24:mi-hh24:mi (UTC), e.g. 03:00-03:30'],
    ['backup_window = 24:00-00:30', 'artifact.ini: [target_db] backup_window: "24:00-00:30" is not a window hh24:mi-hh24:mi (UTC), e.g. 03:00-03:30'],
    ['backup_window = 03:00-03:29', 'artifact.ini: [target_db] backup_window: "03:00-03:29" is shorter than the 30 minutes RDS asks for'],
    [
      'maintenance_window = sunday:05:00-sunday:05:30',
      'artifact.ini: [target_db] maintenance_window: "sunday:05:00-sunday:05:30" is not a window ddd:hh24:mi-ddd:hh24:mi (UTC), e.g. sun:05:00-sun:05:30',
    ],
    ['maintenance_window = sun:05:00-sun:05:10', 'artifact.ini: [target_db] maintenance_window: "sun:05:00-sun:05:10" is shorter than the 30 minutes RDS asks for'],
    ['deletion_protection = yes', 'artifact.ini: [target_db] deletion_protection: "yes" is neither true nor false'],
    ['tags = env', 'artifact.ini: [target_db] tags: "env" is not key=value'],
    ['tags = =x', 'artifact.ini: [target_db] tags: "=x" has no key'],
    ['tags = aws:owner=me', 'artifact.ini: [target_db] tags: "aws:owner": keys starting with aws: are AWS\'s own'],
    ['tags = a=1, a=2', 'artifact.ini: [target_db] tags: "a" is given twice'],
    ['deletion_protection = null', 'artifact.ini: [target_db] deletion_protection: "null" is neither true nor false'],
    ['tags[] = a=1', 'artifact.ini: [target_db] tags: is given as a list (key[] =); give it once'],
  ]
  for (const [line, message] of cases) assert.is(targetProblem(line), message, line)
  assert.is(
    refused('[source_db]\nsource_db_cluster_id = shop--prod\n[target_db]\nsubnet_ids = source\ninstance_type = db.r4.large\n'),
    'artifact.ini: [source_db] source_db_cluster_id: "shop--prod" must not contain two hyphens in a row',
  )
  assert.is(refused(`${target()}[artifact]\ntag = Not An Image\n`), 'artifact.ini: [artifact] tag: "Not An Image" is not an image reference (e.g. db-artifact:latest)')
  assert.is(refused(`${target()}[artifact]\nbase_image =\n`), 'artifact.ini: [artifact] base_image: is empty')
})

test('Serverless v2 capacities: 0.5 steps, min ≤ max, both or neither; db.serverless needs them', () => {
  const acu = (min: string, max: string): string => refused(target(`serverless_min_acu = ${min}`, `serverless_max_acu = ${max}`))
  assert.is(acu('0.3', '4'), 'artifact.ini: [target_db] serverless_min_acu: "0.3" is not a capacity from 0 to 256 ACUs in steps of 0.5')
  assert.is(acu('1', '257'), 'artifact.ini: [target_db] serverless_max_acu: "257" is not a capacity from 1 to 256 ACUs in steps of 0.5')
  assert.is(acu('1', '0.5'), 'artifact.ini: [target_db] serverless_max_acu: "0.5" is not a capacity from 1 to 256 ACUs in steps of 0.5')
  assert.is(acu('8', '4'), 'artifact.ini: [target_db] serverless_min_acu: 8 is more than serverless_max_acu (4)')
  assert.is(
    targetProblem('serverless_min_acu = 2'),
    'artifact.ini: [target_db] serverless_max_acu: missing; give both serverless_min_acu and serverless_max_acu, or neither',
  )
  assert.is(
    refused(target().replace('db.r6g.large', 'db.serverless')),
    'artifact.ini: [target_db] instance_type: db.serverless needs serverless_min_acu and serverless_max_acu (a restored cluster has no capacity range of its own)',
  )
  assert.equal(ok(target('serverless_min_acu = 0', 'serverless_max_acu = 1.5')).target.serverless, { min: 0, max: 1.5 })
})

test('the backup and maintenance windows must not overlap, across midnight too', () => {
  assert.is(
    targetProblem('backup_window = 05:15-05:45\nmaintenance_window = sun:05:00-sun:05:30'),
    'artifact.ini: [target_db] maintenance_window: "sun:05:00-sun:05:30" overlaps backup_window "05:15-05:45"; RDS wants them apart',
  )
  assert.is(
    targetProblem('backup_window = 23:45-00:15\nmaintenance_window = Mon:00:00-Mon:00:30'),
    'artifact.ini: [target_db] maintenance_window: "mon:00:00-mon:00:30" overlaps backup_window "23:45-00:15"; RDS wants them apart',
  )
  const c = ok(target('backup_window = 23:30-00:00', 'maintenance_window = Sat:00:00-Sat:00:30'))
  assert.is(c.target.maintenanceWindow, 'sat:00:00-sat:00:30')
})

test('the default target name must itself fit in 63 characters', () => {
  const long = 'a'.repeat(60)
  assert.is(
    refused(`[source_db]\nsource_db_cluster_id = ${long}\n[target_db]\nsubnet_ids = source\ninstance_type = db.r4.large\n`),
    `artifact.ini: [target_db] target_db_cluster_id: missing, and the default "${long}-artifact" is 69 characters long (RDS allows 63); give one`,
  )
})

test('unknown sections and keys are refused, with a did-you-mean when one is close', () => {
  assert.is(targetProblem('instance_typ = db.r5.large'), 'artifact.ini: [target_db] instance_typ: unknown key; did you mean instance_type?')
  assert.is(targetProblem('subnet-ids = source'), 'artifact.ini: [target_db] subnet-ids: unknown key; did you mean subnet_ids?')
  assert.is(targetProblem('tag = x:1'), 'artifact.ini: [target_db] tag: belongs in [artifact]')
  assert.is(
    targetProblem('colour = blue'),
    'artifact.ini: [target_db] colour: unknown key; [target_db] takes subnet_ids, instance_type, database_name, target_db_cluster_id, region, instance_count, engine_version, security_group_ids, backup_retention_days, backup_window, maintenance_window, deletion_protection, tags, serverless_min_acu and serverless_max_acu',
  )
  assert.is(refused(`${target()}[targetdb]\nx = 1\n`), 'artifact.ini: [targetdb]: unknown section; did you mean [target_db]?')
  assert.is(refused(`${target()}[network]\nx = 1\n`), 'artifact.ini: [network]: unknown section; the sections are [source_db], [target_db] and [artifact]')
  assert.is(refused(`${target()}[target_db.extra]\nx = 1\n`), 'artifact.ini: [target_db.extra]: unknown section; did you mean [target_db]?')
})

test('a key given twice in one section is refused, not read as the last one', () => {
  assert.is(
    refused(`${target()}instance_type = db.r5.large\n[artifact]\ntag = a\n; tag = b\n`),
    'artifact.ini: [target_db] instance_type: is given 2 times (lines 6 and 7); give it once',
  )
  assert.equal(ok(`${target()}[artifact]\ntag = a\n[artifact]\nbase_image = b\n`).artifact, { tag: 'a', baseImage: 'b' })
})

test('a password-like key is refused, saying where the password comes from', () => {
  const where = 'a password does not belong in the configuration (the image would carry it); converge reads it from --db-password-file, stdin or MITOSIS_DB_PASSWORD'
  assert.is(targetProblem('db_password = hunter2'), `artifact.ini: [target_db] db_password: ${where}`)
  assert.is(targetProblem('master_user_secret = x'), `artifact.ini: [target_db] master_user_secret: ${where}`)
  assert.is(refused(`password = x\n${target()}`), `artifact.ini: password: ${where}`)
  assert.not.ok(refused(target('db_password = hunter2')).includes('hunter2'), 'the value is never echoed')
})

test('several problems at once are all reported, one line each', () => {
  assert.is(
    refused(
      [
        '[source_db]',
        'source_db_cluster_id = -bad',
        'liquibase_changelog_pth = db.yaml',
        '[target_db]',
        'subnet_ids = subnet-a',
        'instance_count = many',
        'deletion_protection = maybe',
        'password = x',
        '[artfact]',
        'tag = y',
      ].join('\n'),
    ),
    [
      'artifact.ini: [artfact]: unknown section; did you mean [artifact]?',
      'artifact.ini: [source_db] liquibase_changelog_pth: unknown key; did you mean liquibase_changelog_path?',
      'artifact.ini: [source_db] source_db_cluster_id: "-bad" must start with a letter',
      'artifact.ini: [target_db] password: a password does not belong in the configuration (the image would carry it); converge reads it from --db-password-file, stdin or MITOSIS_DB_PASSWORD',
      'artifact.ini: [target_db] subnet_ids: "subnet-a" names one subnet; give "source" or at least two',
      'artifact.ini: [target_db] instance_type: missing',
      'artifact.ini: [target_db] instance_count: "many" is not a whole number of instances (a writer and up to 15 readers) from 1 to 16',
      'artifact.ini: [target_db] deletion_protection: "maybe" is neither true nor false',
    ].join('\n'),
  )
})

test.run()
