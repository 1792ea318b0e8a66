/**
 * What a database artifact carries, as data: the plans it was built with (saved plans, each with the
 * basis it was made from), the configuration it was built from (no secret is ever in either), and the
 * digest that names the plans. The build writes these files into the image's last layer; the program
 * inside the image reads them back. One home for the paths, the codec and the digest, so the two sides
 * cannot disagree. Pure apart from `sha256` (node:crypto, no I/O).
 */
import { createHash } from 'node:crypto'
import * as t from 'io-ts'
import { PlanFile } from '../plan/plan.js'

/** Where the artifact's files are inside the image. */
export const ARTIFACT_DIR = '/mitosis'
export const ARTIFACT_PATHS = {
  /** The interpreter, bundled into one ES module (esbuild). */
  program: '/mitosis/mitosis.mjs',
  /** The manifest: ArtifactManifest's JSON. */
  manifest: '/mitosis/artifact.json',
  /** The plans, as canonical JSON (canonicalJson of ArtifactPlans): the bytes the digest is of. */
  plans: '/mitosis/plans.json',
  /** The plans as `mitosis clone --plan` prints them (text, and mermaid), made at build time. */
  text: '/mitosis/plans.txt',
  mermaid: '/mitosis/plans.mmd',
  /** The configuration the artifact was built from (INI text, absent for `--plan FILE` builds). */
  config: '/mitosis/artifact.ini',
  /** The Liquibase distribution (create plans only) and the changelog the create plan names. */
  liquibase: '/mitosis/liquibase',
  changelogDir: '/mitosis/changelog',
} as const

/** The modes of a converge: the clone plan (copy-on-write, into a new cluster or swapped into the target) or the create plan. */
export const ConvergeMode = t.keyof({ clone: null, create: null })
export type ConvergeMode = t.TypeOf<typeof ConvergeMode>

/** The plans an artifact carries, by mode; at least one. */
export const ArtifactPlans = t.partial({ clone: PlanFile, create: PlanFile }, 'ArtifactPlans')
export type ArtifactPlans = t.TypeOf<typeof ArtifactPlans>

export const ARTIFACT_VERSION = 1

/** artifact.json. */
export const ArtifactManifest = t.intersection(
  [
    t.type({
      kind: t.literal('mitosis-artifact'),
      version: t.literal(ARTIFACT_VERSION),
      /** `sha256:<hex>` of the bytes of plans.json (also the image label io.mitosis.plan.digest). */
      planDigest: t.string,
      source: t.string,
      target: t.string,
      region: t.string,
      /** The modes whose plans are in plans.json. */
      modes: t.array(ConvergeMode),
      /** The mitosis version that built the image. */
      mitosis: t.string,
    }),
    t.partial({
      /** The source revision of mitosis (git commit), when the build knew it. */
      revision: t.string,
      /** For a create plan: the file name of its changelog under changelogDir. */
      changelog: t.string,
    }),
  ],
  'ArtifactManifest',
)
export type ArtifactManifest = t.TypeOf<typeof ArtifactManifest>

/**
 * JSON with object keys sorted (by UTF-16 code units, as RFC 8785 does) and no whitespace; arrays keep
 * their order. The same value always gives the same bytes, so a digest of it names the value.
 */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonicalJson: not a finite number')
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

export const sha256 = (bytes: string | Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/** plans.json's bytes and their digest. */
export const plansDocument = (plans: ArtifactPlans): { readonly bytes: string; readonly digest: string } => {
  const bytes = `${canonicalJson(plans)}\n`
  return { bytes, digest: sha256(bytes) }
}
