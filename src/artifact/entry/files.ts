/**
 * The artifact's files as the program inside the image reads them (/mitosis, see contents.ts): the manifest and
 * the plans, checked against the manifest's digest before anything else, and the mode a command works on.
 */
import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { UserError } from '../../cli/errors.js'
import { decode } from '../../plan/domain.js'
import type { PlanFile } from '../../plan/plan.js'
import { ARTIFACT_DIR, ARTIFACT_PATHS, ArtifactManifest, ArtifactPlans, ConvergeMode, sha256 } from '../contents.js'

/** The image's exit codes (doc/artifact-design.md): what a job runner decides on. */
export const EXIT = { done: 0, failed: 1, refused: 2, stale: 3 } as const

// ---- the artifact's files ------------------------------------------------------------------------

export interface Artifact {
  readonly manifest: ArtifactManifest
  readonly plans: ArtifactPlans
  /** The parsed plans.json: each mode's saved plan as checkSaved reads it. */
  readonly json: Readonly<Record<string, unknown>>
  readonly root: string
}

export const refuse = (message: string): never => {
  throw new UserError(message, EXIT.refused)
}

/** An artifact file's path under `root` (the image's /mitosis, or a test's directory). */
export const inRoot = (root: string, path: string): string => join(root, relative(ARTIFACT_DIR, path))

export const readText = (root: string, path: string): string => {
  const file = inRoot(root, path)
  try {
    return readFileSync(file, 'utf8')
  } catch (e) {
    return refuse(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)}); this program runs inside a mitosis artifact image`)
  }
}

const parseJson = (file: string, text: string): unknown => {
  try {
    return JSON.parse(text) as unknown
  } catch (e) {
    return refuse(`${file}: not JSON: ${(e as Error).message}`)
  }
}

/**
 * The manifest and the plans, the plans checked against the manifest's digest: a plans.json changed
 * after the build is refused before anything reads the world.
 */
export const loadArtifact = (root: string): Artifact => {
  const manifestFile = inRoot(root, ARTIFACT_PATHS.manifest)
  const manifest = decode(ArtifactManifest)(parseJson(manifestFile, readText(root, ARTIFACT_PATHS.manifest)))
  if (E.isLeft(manifest)) return refuse(`${manifestFile}: not a mitosis artifact manifest: ${manifest.left}`)
  const plansFile = inRoot(root, ARTIFACT_PATHS.plans)
  const bytes = readText(root, ARTIFACT_PATHS.plans)
  const digest = sha256(bytes)
  if (digest !== manifest.right.planDigest) {
    refuse(`${plansFile} is not the plan this image was built with: its digest is ${digest}, the manifest (and the label io.mitosis.plan.digest) says ${manifest.right.planDigest}`)
  }
  const json = parseJson(plansFile, bytes)
  const plans = decode(ArtifactPlans)(json)
  if (E.isLeft(plans)) return refuse(`${plansFile}: not the plans of a mitosis artifact: ${plans.left}`)
  const missing = manifest.right.modes.filter((m) => plans.right[m] === undefined)
  if (missing.length > 0) refuse(`${plansFile} has no ${missing.join(', ')} plan, which the manifest lists`)
  return { manifest: manifest.right, plans: plans.right, json: json as Record<string, unknown>, root }
}

/** The mode a command works on: --mode, or the only one the image has. */
export const modeOf = (artifact: Artifact, given: string | undefined): ConvergeMode => {
  const modes = artifact.manifest.modes
  if (given === undefined) {
    if (modes.length === 1) return modes[0]!
    return refuse(`this image carries plans for ${modes.join(' and ')}: give --mode ${modes.join(' or --mode ')}`)
  }
  if (!ConvergeMode.is(given)) return refuse(`--mode: ${JSON.stringify(given)} is not clone or create`)
  if (!modes.includes(given)) return refuse(`--mode ${given}: this image has no ${given} plan (it has: ${modes.join(', ')})`)
  return given
}

export const planFileOfMode = (artifact: Artifact, mode: ConvergeMode): PlanFile => artifact.plans[mode]!

