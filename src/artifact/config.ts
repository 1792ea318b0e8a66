/**
 * The artifact's configuration: an INI file (the seed's `[source_db]` / `[target_db]` keys, plus the
 * keys it lacked), read with `ini` and checked key by key with io-ts into one fully-defaulted value the
 * build consumes. Every problem is reported at once, each naming the file, the section and the key.
 *
 * Only `readArtifactConfig` touches the file system; `decodeArtifactConfig` is pure. What needs AWS
 * (resolving `source`, checking that the subnets span two Availability Zones) belongs to the build.
 * No secret belongs here: converge reads the password from --db-password-file, stdin or MITOSIS_DB_PASSWORD.
 */
import ini from 'ini'
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import { readTextFile } from '../json-file.js'
import { identifierProblem, MAX_IDENTIFIER_LENGTH, normalizeIdentifier } from '../plan/identifiers.js'

/** Subnets or security groups: the source cluster's (resolved by the build), or the ones listed. */
export type SubnetChoice = { readonly from: 'source' } | { readonly from: 'config'; readonly ids: ReadonlyArray<string> }
export type SecurityGroupChoice = { readonly from: 'source' } | { readonly from: 'config'; readonly ids: ReadonlyArray<string> }
export interface ConfigTag {
  readonly Key: string
  readonly Value: string
}
/** Aurora Serverless v2 capacity range, in ACUs. */
export interface ServerlessRange {
  readonly min: number
  readonly max: number
}

export interface ArtifactConfig {
  /** The file it was read from, as given. */
  readonly file: string
  readonly source: {
    /** The Aurora cluster to clone (or, create, the one re-created without data), lower-case. */
    readonly cluster: string
    /** The Liquibase changelog, as written (relative to where the build runs); undefined: none (`dontcare`). */
    readonly changelog: string | undefined
  }
  readonly target: {
    /** Default: `<source>-artifact`. */
    readonly cluster: string
    /** undefined: the standard chain (AWS_REGION, the profile); never a built-in default. */
    readonly region: string | undefined
    readonly subnets: SubnetChoice
    /** Default: the source's. */
    readonly securityGroups: SecurityGroupChoice
    readonly instanceClass: string
    /** Default 1: the writer, then readers. */
    readonly instanceCount: number
    /** undefined: none (`dontcare`), clone only. */
    readonly databaseName: string | undefined
    /** undefined: the source's. */
    readonly engineVersion: string | undefined
    /** undefined: what the restore gives. */
    readonly backupRetentionDays: number | undefined
    /** `hh24:mi-hh24:mi`, UTC. */
    readonly backupWindow: string | undefined
    /** `ddd:hh24:mi-ddd:hh24:mi`, UTC, days lower-case. */
    readonly maintenanceWindow: string | undefined
    /** Default false (what a restore gives). */
    readonly deletionProtection: boolean
    readonly tags: ReadonlyArray<ConfigTag>
    readonly serverless: ServerlessRange | undefined
  }
  readonly artifact: {
    /** Default `db-artifact:latest`. */
    readonly tag: string
    /** undefined: the build's own default base. */
    readonly baseImage: string | undefined
  }
}

/** One thing wrong with the file; `section` and `key` are absent when the problem is not about one. */
export interface ConfigProblem {
  readonly file: string
  readonly section: string | undefined
  readonly key: string | undefined
  readonly message: string
}

export const DEFAULT_ARTIFACT_TAG = 'db-artifact:latest'
export const TARGET_SUFFIX = '-artifact'
const DONTCARE = 'dontcare'
const SOURCE = 'source'

export const renderConfigProblem = (p: ConfigProblem): string =>
  p.section === undefined
    ? `${p.file}: ${p.key === undefined ? '' : `${p.key}: `}${p.message}`
    : `${p.file}: [${p.section}]${p.key === undefined ? ':' : ` ${p.key}:`} ${p.message}`

/** One line per problem. */
export const renderConfigProblems = (ps: ReadonlyArray<ConfigProblem>): string => ps.map(renderConfigProblem).join('\n')

// ---------------------------------------------------------------------------------------------------
// values: each key is an io-ts type from the INI's text to the domain value, failing with the message

const q = (s: string): string => JSON.stringify(s)

const value = <A>(name: string, check: (text: string) => E.Either<string, A>): t.Type<A, unknown, unknown> =>
  new t.Type<A, unknown, unknown>(
    name,
    // only ever used to decode (INI text in, domain value out): no value is taken for one already decoded
    (_u): _u is A => false,
    (u, c) => {
      // ini turns the words true, false and null into values; they are text here
      if (typeof u === 'boolean' || u === null) u = String(u)
      if (typeof u !== 'string') return t.failure(u, c, 'is given as a list (key[] =); give it once')
      const text = u.trim()
      if (text === '') return t.failure(u, c, 'is empty')
      const r = check(text)
      return E.isLeft(r) ? t.failure(u, c, r.left) : t.success(r.right)
    },
    (a) => a,
  )

const identifier = (text: string): E.Either<string, string> => {
  const p = identifierProblem(text)
  return p === undefined ? E.right(normalizeIdentifier(text)) : E.left(`${q(text)} ${p}`)
}

const list = (text: string): ReadonlyArray<string> => text.split(',').map((s) => s.trim())

const idList =
  (prefix: string, what: string, least: number) =>
  (text: string): E.Either<string, SubnetChoice> => {
    if (text === SOURCE) return E.right({ from: 'source' })
    const ids = list(text)
    if (ids.some((s) => s === '')) return E.left(`${q(text)} has an empty entry`)
    const bad = ids.filter((s) => !new RegExp(`^${prefix}-[0-9a-f]+$`).test(s))
    if (bad.length > 0) return E.left(`${bad.map(q).join(', ')} ${bad.length === 1 ? 'is not a' : 'are not'} ${what} ID${bad.length === 1 ? '' : 's'} (${prefix}-…)`)
    const twice = ids.filter((s, i) => ids.indexOf(s) !== i)
    if (twice.length > 0) return E.left(`${q(text)} names ${twice[0]} twice`)
    if (ids.length < least) return E.left(`${q(text)} names one ${what}; give ${q(SOURCE)} or at least ${least === 2 ? 'two' : least}`)
    return E.right({ from: 'config', ids })
  }

const optionalName = (check: (text: string) => E.Either<string, string>) => (text: string): E.Either<string, string | undefined> =>
  text === DONTCARE ? E.right(undefined) : check(text)

const integer = (lo: number, hi: number, unit: string) => (text: string): E.Either<string, number> =>
  /^\d+$/.test(text) && Number(text) >= lo && Number(text) <= hi ? E.right(Number(text)) : E.left(`${q(text)} is not a whole number of ${unit} from ${lo} to ${hi}`)

const acu = (lo: number) => (text: string): E.Either<string, number> => {
  const n = Number(text)
  return /^\d+(\.\d+)?$/.test(text) && Number.isInteger(n * 2) && n >= lo && n <= 256
    ? E.right(n)
    : E.left(`${q(text)} is not a capacity from ${lo} to 256 ACUs in steps of 0.5`)
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
const clock = (hh: string, mi: string): number | undefined => (Number(hh) < 24 && Number(mi) < 60 ? Number(hh) * 60 + Number(mi) : undefined)

/** A daily window as minutes past midnight and its length; RDS asks for at least 30 minutes. */
const dailyWindow = (text: string): { start: number; length: number } | undefined => {
  const m = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(text)
  if (m === null) return undefined
  const a = clock(m[1]!, m[2]!)
  const b = clock(m[3]!, m[4]!)
  return a === undefined || b === undefined ? undefined : { start: a, length: (b - a + 1440) % 1440 }
}
const weeklyWindow = (text: string): { start: number; length: number } | undefined => {
  const m = /^([a-z]{3}):(\d\d):(\d\d)-([a-z]{3}):(\d\d):(\d\d)$/.exec(text.toLowerCase())
  if (m === null) return undefined
  const d1 = DAYS.indexOf(m[1] as (typeof DAYS)[number])
  const d2 = DAYS.indexOf(m[4] as (typeof DAYS)[number])
  const a = clock(m[2]!, m[3]!)
  const b = clock(m[5]!, m[6]!)
  if (d1 < 0 || d2 < 0 || a === undefined || b === undefined) return undefined
  const s = d1 * 1440 + a
  return { start: s, length: (d2 * 1440 + b - s + 10080) % 10080 }
}
const WEEK = 10080

const backupWindow = (text: string): E.Either<string, string> => {
  const w = dailyWindow(text)
  if (w === undefined) return E.left(`${q(text)} is not a window hh24:mi-hh24:mi (UTC), e.g. 03:00-03:30`)
  return w.length < 30 ? E.left(`${q(text)} is shorter than the 30 minutes RDS asks for`) : E.right(text)
}
const maintenanceWindow = (text: string): E.Either<string, string> => {
  const w = weeklyWindow(text)
  if (w === undefined) return E.left(`${q(text)} is not a window ddd:hh24:mi-ddd:hh24:mi (UTC), e.g. sun:05:00-sun:05:30`)
  return w.length < 30 ? E.left(`${q(text)} is shorter than the 30 minutes RDS asks for`) : E.right(text.toLowerCase())
}
/** Whether a daily window overlaps a weekly one on any day. */
const windowsOverlap = (backup: string, maintenance: string): boolean => {
  const b = dailyWindow(backup)!
  const m = weeklyWindow(maintenance)!
  const mod = (n: number): number => ((n % WEEK) + WEEK) % WEEK
  return DAYS.some((_, d) => {
    const s = d * 1440 + b.start
    return mod(m.start - s) < b.length || mod(s - m.start) < m.length
  })
}

const tags = (text: string): E.Either<string, ReadonlyArray<ConfigTag>> => {
  const out: ConfigTag[] = []
  for (const entry of list(text)) {
    const eq = entry.indexOf('=')
    if (eq < 0) return E.left(`${q(entry)} is not key=value`)
    const Key = entry.slice(0, eq).trim()
    const Value = entry.slice(eq + 1).trim()
    if (Key === '') return E.left(`${q(entry)} has no key`)
    if (Key.toLowerCase().startsWith('aws:')) return E.left(`${q(Key)}: keys starting with aws: are AWS's own`)
    if (Key.length > 128) return E.left(`${q(Key)} is longer than the 128 characters a tag key may have`)
    if (Value.length > 256) return E.left(`the value of ${q(Key)} is longer than the 256 characters a tag value may have`)
    if (out.some((x) => x.Key === Key)) return E.left(`${q(Key)} is given twice`)
    out.push({ Key, Value })
  }
  return E.right(out)
}

const IMAGE_REF = /^(?:[A-Za-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/

const V = {
  source_db_cluster_id: value('source_db_cluster_id', identifier),
  liquibase_changelog_path: value('liquibase_changelog_path', optionalName((s) => E.right(s))),
  subnet_ids: value('subnet_ids', idList('subnet', 'subnet', 2)),
  instance_type: value('instance_type', (s) =>
    /^db\.[a-z0-9]+(\.[a-z0-9]+)?$/.test(s) ? E.right(s) : E.left(`${q(s)} is not a DB instance class (db.…, e.g. db.r6g.large)`),
  ),
  database_name: value(
    'database_name',
    optionalName((s) =>
      /^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(s) ? E.right(s) : E.left(`${q(s)} is not a database name (a letter, then up to 62 letters, digits or underscores)`),
    ),
  ),
  target_db_cluster_id: value('target_db_cluster_id', identifier),
  region: value('region', (s) => (/^[a-z]{2}(-[a-z]+)+-\d+$/.test(s) ? E.right(s) : E.left(`${q(s)} is not an AWS Region (e.g. eu-west-1)`))),
  instance_count: value('instance_count', integer(1, 16, 'instances (a writer and up to 15 readers)')),
  engine_version: value('engine_version', (s) => (/^\d[0-9A-Za-z._-]*$/.test(s) ? E.right(s) : E.left(`${q(s)} is not an engine version (e.g. 15.4)`))),
  security_group_ids: value('security_group_ids', idList('sg', 'security group', 1)),
  backup_retention_days: value('backup_retention_days', integer(1, 35, 'days')),
  backup_window: value('backup_window', backupWindow),
  maintenance_window: value('maintenance_window', maintenanceWindow),
  deletion_protection: value('deletion_protection', (s) =>
    s === 'true' ? E.right(true) : s === 'false' ? E.right(false) : E.left(`${q(s)} is neither true nor false`),
  ),
  tags: value('tags', tags),
  serverless_min_acu: value('serverless_min_acu', acu(0)),
  serverless_max_acu: value('serverless_max_acu', acu(1)),
  tag: value('tag', (s) => (IMAGE_REF.test(s) ? E.right(s) : E.left(`${q(s)} is not an image reference (e.g. db-artifact:latest)`))),
  base_image: value('base_image', (s) => E.right(s)),
} as const
type Key = keyof typeof V

/** The sections, their keys in the order they are checked, and which are required. */
const SECTIONS: Record<string, { readonly keys: ReadonlyArray<Key>; readonly required: ReadonlyArray<Key> }> = {
  source_db: { keys: ['source_db_cluster_id', 'liquibase_changelog_path'], required: ['source_db_cluster_id'] },
  target_db: {
    keys: [
      'subnet_ids',
      'instance_type',
      'database_name',
      'target_db_cluster_id',
      'region',
      'instance_count',
      'engine_version',
      'security_group_ids',
      'backup_retention_days',
      'backup_window',
      'maintenance_window',
      'deletion_protection',
      'tags',
      'serverless_min_acu',
      'serverless_max_acu',
    ],
    required: ['subnet_ids', 'instance_type'],
  },
  artifact: { keys: ['tag', 'base_image'], required: [] },
}
const REQUIRED_SECTIONS = ['source_db', 'target_db']

// ---------------------------------------------------------------------------------------------------
// names: unknown ones refused, with a did-you-mean when one is close

const distance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = cur
    }
  }
  return row[b.length]!
}
const closest = (name: string, candidates: ReadonlyArray<string>): string | undefined => {
  const norm = (s: string): string => s.toLowerCase().replace(/[-\s.]/g, '_')
  const n = norm(name)
  const scored = candidates.map((c) => ({ c, d: distance(n, norm(c)) })).sort((x, y) => x.d - y.d)
  const best = scored[0]
  return best !== undefined && best.d <= Math.max(2, Math.floor(name.length / 4)) ? best.c : undefined
}
const oxford = (xs: ReadonlyArray<string>): string => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`)

const SECRET = /pass(word|wd)?|pwd|secret/i
const PASSWORD_MESSAGE =
  'a password does not belong in the configuration (the image would carry it); converge reads it from --db-password-file, stdin or MITOSIS_DB_PASSWORD'

const unknownKey = (section: string, key: string): string => {
  if (SECRET.test(key)) return PASSWORD_MESSAGE
  const home = Object.keys(SECTIONS).find((s) => SECTIONS[s]!.keys.includes(key as Key))
  if (home !== undefined) return `belongs in [${home}]`
  const near = closest(key, SECTIONS[section]!.keys)
  return near !== undefined ? `unknown key; did you mean ${near}?` : `unknown key; [${section}] takes ${oxford(SECTIONS[section]!.keys)}`
}
const unknownSection = (section: string): string => {
  const near = closest(section, Object.keys(SECTIONS)) ?? closest(section.split('.')[0]!, Object.keys(SECTIONS))
  return near !== undefined
    ? `unknown section; did you mean [${near}]?`
    : `unknown section; the sections are ${oxford(Object.keys(SECTIONS).map((s) => `[${s}]`))}`
}

/** Keys written more than once in one section, which ini silently reads as the last: [section, key, lines]. */
const repeatedKeys = (text: string): ReadonlyArray<readonly [string | undefined, string, ReadonlyArray<number>]> => {
  const seen = new Map<string, { section: string | undefined; key: string; lines: number[] }>()
  let section: string | undefined
  text.split(/\r?\n/).forEach((line, i) => {
    const header = /^\s*\[([^\]]*)\]\s*(?:[;#].*)?$/.exec(line)
    if (header !== null) return void (section = header[1]!.trim())
    const kv = /^\s*([^=;#\s][^=]*?)\s*=/.exec(line)
    if (kv === null || kv[1]!.endsWith('[]')) return
    const id = `${section ?? ''}\u0000${kv[1]}`
    const entry = seen.get(id) ?? { section, key: kv[1]!, lines: [] }
    entry.lines.push(i + 1)
    seen.set(id, entry)
  })
  return [...seen.values()].filter((e) => e.lines.length > 1).map((e) => [e.section, e.key, e.lines] as const)
}

// ---------------------------------------------------------------------------------------------------

/** Decode the text of an artifact INI file; `file` names it in every problem. Pure. */
export const decodeArtifactConfig = (text: string, file: string): E.Either<ReadonlyArray<ConfigProblem>, ArtifactConfig> => {
  const problems: ConfigProblem[] = []
  const problem = (section: string | undefined, key: string | undefined, message: string): void => {
    problems.push({ file, section, key, message })
  }
  const doc = ini.parse(text) as Record<string, unknown>
  const isSection = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u)
  for (const [section, key, lines] of repeatedKeys(text))
    problem(section, key, `is given ${lines.length} times (lines ${oxford(lines.map(String))}); give it once`)

  // keys before any section, and unknown sections (ini reads [a.b] as a section a holding b)
  for (const [name, v] of Object.entries(doc)) {
    if (!isSection(v)) problem(undefined, name, SECRET.test(name) ? PASSWORD_MESSAGE : 'is outside any section; put it under [source_db], [target_db] or [artifact]')
    else if (!(name in SECTIONS)) problem(name, undefined, unknownSection(name))
  }
  const got: Partial<Record<Key, unknown>> = {}
  for (const [section, spec] of Object.entries(SECTIONS)) {
    const body = doc[section]
    if (!isSection(body)) {
      if (REQUIRED_SECTIONS.includes(section)) problem(section, undefined, `missing; it needs ${oxford(spec.required)}`)
      continue
    }
    for (const [key, v] of Object.entries(body)) {
      if (isSection(v)) problem(`${section}.${key}`, undefined, unknownSection(`${section}.${key}`))
      else if (!spec.keys.includes(key as Key)) problem(section, key, unknownKey(section, key))
    }
    for (const key of spec.keys) {
      const raw = body[key]
      if (raw === undefined) {
        if (spec.required.includes(key)) problem(section, key, 'missing')
        continue
      }
      const r = V[key].decode(raw)
      if (E.isLeft(r)) problem(section, key, r.left[0]?.message ?? 'is not valid')
      else got[key] = r.right
    }
  }

  // rules across keys
  const g = got as {
    [K in Key]?: t.TypeOf<(typeof V)[K]>
  }
  const T = 'target_db'
  const hasMin = g.serverless_min_acu !== undefined
  const hasMax = g.serverless_max_acu !== undefined
  if (hasMin && hasMax && g.serverless_min_acu! > g.serverless_max_acu!)
    problem(T, 'serverless_min_acu', `${g.serverless_min_acu} is more than serverless_max_acu (${g.serverless_max_acu})`)
  const given = (k: Key): boolean => isSection(doc[T]) && (doc[T] as Record<string, unknown>)[k] !== undefined
  if (given('serverless_min_acu') !== given('serverless_max_acu'))
    problem(T, given('serverless_min_acu') ? 'serverless_max_acu' : 'serverless_min_acu', `missing; give both serverless_min_acu and serverless_max_acu, or neither`)
  if (g.instance_type === 'db.serverless' && !given('serverless_min_acu') && !given('serverless_max_acu'))
    problem(T, 'instance_type', 'db.serverless needs serverless_min_acu and serverless_max_acu (a restored cluster has no capacity range of its own)')
  if (g.backup_window !== undefined && g.maintenance_window !== undefined && windowsOverlap(g.backup_window, g.maintenance_window))
    problem(T, 'maintenance_window', `${q(g.maintenance_window)} overlaps backup_window ${q(g.backup_window)}; RDS wants them apart`)
  let targetCluster = g.target_db_cluster_id
  if (g.source_db_cluster_id !== undefined) {
    if (targetCluster === undefined && !given('target_db_cluster_id')) {
      targetCluster = `${g.source_db_cluster_id}${TARGET_SUFFIX}`
      if (targetCluster.length > MAX_IDENTIFIER_LENGTH) {
        problem(T, 'target_db_cluster_id', `missing, and the default ${q(targetCluster)} is ${targetCluster.length} characters long (RDS allows ${MAX_IDENTIFIER_LENGTH}); give one`)
      }
    } else if (targetCluster === g.source_db_cluster_id) problem(T, 'target_db_cluster_id', `${q(targetCluster)} is the source cluster; give another`)
  }

  if (problems.length > 0) return E.left(problems)
  return E.right({
    file,
    source: { cluster: g.source_db_cluster_id!, changelog: g.liquibase_changelog_path },
    target: {
      cluster: targetCluster!,
      region: g.region,
      subnets: g.subnet_ids!,
      securityGroups: g.security_group_ids ?? { from: 'source' },
      instanceClass: g.instance_type!,
      instanceCount: g.instance_count ?? 1,
      databaseName: g.database_name,
      engineVersion: g.engine_version,
      backupRetentionDays: g.backup_retention_days,
      backupWindow: g.backup_window,
      maintenanceWindow: g.maintenance_window,
      deletionProtection: g.deletion_protection ?? false,
      tags: g.tags ?? [],
      serverless: hasMin && hasMax ? { min: g.serverless_min_acu!, max: g.serverless_max_acu! } : undefined,
    },
    artifact: { tag: g.tag ?? DEFAULT_ARTIFACT_TAG, baseImage: g.base_image },
  })
}

/** Read and decode an artifact INI file; a file that cannot be read is one problem naming it. */
export const readArtifactConfig = (path: string): E.Either<ReadonlyArray<ConfigProblem>, ArtifactConfig> => {
  const text = readTextFile(path)
  if (E.isRight(text)) return decodeArtifactConfig(text.right, path)
  const { code } = text.left.error
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'not readable (permission denied)' : String(text.left.error.message)
  return E.left([{ file: path, section: undefined, key: undefined, message: `cannot be read: ${why}` }])
}
