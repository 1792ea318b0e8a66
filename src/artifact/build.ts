/**
 * `mitosis artifact build`: from an artifact config (or a saved plan) and the world, the image that
 * carries the plans and the interpreter: the base's layers, a layer with the program (and, for create,
 * Liquibase and the changelog), and a small last layer with the plans and the config. No daemon is
 * involved; the same inputs and SOURCE_DATE_EPOCH give the same image ID. No secret is read: the plans
 * name the password as a secret the converge supplies.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { ArtifactConfig } from './config.js'
import { ARTIFACT_DIR, ARTIFACT_PATHS, type ArtifactManifest } from './contents.js'
import { bundleProgram, liquibaseEntries } from './bundle.js'
import { assembleImage, rfc3339 } from './image/assemble.js'
import { readBaseImage, type BaseImage, type Engine } from './image/base.js'
import type { Image } from './image/layout.js'
import { baseTools, SHELL_PLACES } from './image/node.js'
import { filesCount, quietProgress, type Progress } from './image/progress.js'
import type { TarEntry } from './image/tar.js'
import { changelogInImage, manifestOf, planClone, planCreate, planFiles, type PlannedModes } from './plans.js'
import { checkChangelog, resolveTarget, type SubnetZones } from './resolve.js'
import type { RdsPort } from '../interpret/capabilities.js'
import { checkSaved, renderSavedFailure, type Planned, type ReadCapabilities } from '../interpret/workflow.js'

export const DEFAULT_BASE_IMAGE = 'node:22-bookworm-slim'

export type BuildInput =
  | { readonly _tag: 'config'; readonly config: ArtifactConfig; readonly configText: string }
  | { readonly _tag: 'plan'; readonly file: string; readonly tag: string }

export interface BuildOptions {
  readonly caps: ReadCapabilities
  readonly input: BuildInput
  /** The module to bundle as /mitosis/mitosis.mjs (dist/src/artifact/entry/main.js in the product). */
  readonly entry: string
  /** --base-image, else the config's base_image, else DEFAULT_BASE_IMAGE. */
  readonly baseImage?: string | undefined
  readonly engine: Engine
  /** SOURCE_DATE_EPOCH, seconds. */
  readonly epoch: number
  /** mitosis's own checkout or install (package.json, node_modules/liquibase, git). */
  readonly root: string
  /** For an explicit subnet list: where the zones of the subnets come from. */
  readonly zonesFor: (rds: RdsPort, sourceGroup: string | undefined) => SubnetZones
  readonly progress?: Progress | undefined
}

export interface BuiltArtifact {
  readonly image: Image
  /** The full reference the image is named by (name:tag). */
  readonly tag: string
  readonly manifest: ArtifactManifest
  readonly labels: Readonly<Record<string, string>>
  readonly base: BaseImage
  readonly baseRef: string
  readonly nodePath: string
  /** The files of the two layers the build adds (for --context-only). */
  readonly layers: ReadonlyArray<ReadonlyArray<TarEntry>>
}

/** SOURCE_DATE_EPOCH (default 1, one second past the epoch, as Jib does), or the line that says why not. */
export const epochOf = (env: NodeJS.ProcessEnv): E.Either<string, number> => {
  const raw = env['SOURCE_DATE_EPOCH']
  if (raw === undefined || raw === '') return E.right(1)
  return /^\d{1,12}$/.test(raw.trim()) ? E.right(Number(raw.trim())) : E.left(`SOURCE_DATE_EPOCH: ${JSON.stringify(raw)} is not a whole number of seconds`)
}

interface PackageInfo { readonly version: string; readonly repository: string | undefined }
const packageInfo = (root: string): PackageInfo => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url
  return { version: String(pkg.version), repository: typeof repo === 'string' ? repo : undefined }
}

/** The commit mitosis was built from, when the build runs from a checkout. */
export const revisionOf = (root: string): string | undefined => {
  const r = spawnSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  return r.status === 0 && /^[0-9a-f]{40}$/.test(r.stdout.trim()) ? r.stdout.trim() : undefined
}

const tryTE = <A>(f: () => A): TE.TaskEither<string, A> => TE.fromEither(E.tryCatch(f, (e) => (e instanceof Error ? e.message : String(e))))

/** The plans, and the changelog on this machine that the create plan's schema step runs (carried in the image). */
interface BuildPlans {
  readonly planned: PlannedModes
  readonly changelog?: string | undefined
}

/**
 * A saved create plan names its changelog where it lay when it was planned, on this machine: the image
 * carries the file as /mitosis/changelog/<name>, and the plan's schema step names it there (the one field
 * the build changes; the digest and the rendered plans are of the plan as the image carries it).
 */
const carryChangelog = (created: Planned, file: string): TE.TaskEither<string, BuildPlans> => {
  const changelogs = [...new Set(created.plan.steps.flatMap((s) => (s.op === 'RunLiquibase' ? [s.request.Changelog] : [])))]
  const changelog = changelogs[0]
  if (changelog === undefined) return TE.right({ planned: { create: created } })
  if (!existsSync(changelog)) return TE.left(`${file}: the create plan's changelog ${changelog} does not exist here; build where it does, or from the artifact config`)
  const steps = created.plan.steps.map((s) => (s.op === 'RunLiquibase' ? { ...s, request: { ...s.request, Changelog: changelogInImage(changelog) } } : s))
  return TE.right({ planned: { create: { ...created, plan: { ...created.plan, steps } } }, changelog })
}

/** The plans: from the config (resolve, check, plan clone and maybe create) or from a saved plan. */
const plansOf = (o: BuildOptions): TE.TaskEither<string, BuildPlans> => {
  const input = o.input
  const progress = o.progress ?? quietProgress
  const step = (what: string): TE.TaskEither<string, void> => TE.fromIO(() => progress.step(what))
  if (input._tag === 'plan') {
    return pipe(
      step(`checking the saved plan ${input.file} against ${o.caps.rds.region}`),
      TE.chain(() => tryTE(() => JSON.parse(readFileSync(input.file, 'utf8')) as unknown)),
      TE.mapLeft((m) => `${input.file}: ${m}`),
      TE.chain((json) => pipe(checkSaved(o.caps, json), TE.mapLeft((f) => renderSavedFailure(f, input.file)))),
      TE.chain((checked) => (checked.plan.kind === 'create' ? carryChangelog(checked, input.file) : TE.right({ planned: { clone: checked } }))),
    )
  }
  const { config } = input
  const changelog = config.source.changelog
  return pipe(
    TE.fromEither(checkChangelog(config)),
    TE.chainFirst(() => step(`reading ${config.source.cluster} in ${o.caps.rds.region}: its subnet group, security groups and the subnets' zones`)),
    TE.chain(() => resolveTarget(o.caps.rds, config, o.zonesFor)),
    TE.chainFirst(() => step(`planning the clone into ${config.target.cluster}`)),
    TE.chain((resolved) =>
      pipe(
        planClone(o.caps, config, resolved),
        TE.chain((clone) =>
          changelog === undefined
            ? TE.right<string, BuildPlans>({ planned: { clone } })
            : pipe(
                step(`planning the create of ${config.target.cluster} with ${changelog}`),
                TE.chain(() => planCreate(o.caps, config, resolved, changelog)),
                TE.map((create): BuildPlans => ({ planned: { clone, create }, changelog })),
              ),
        ),
      ),
    ),
  )
}

const file = (path: string, data: string | Buffer, executable = false): TarEntry => ({ type: 'file', path: path.replace(/^\//, ''), data: typeof data === 'string' ? Buffer.from(data) : data, executable })

export const buildArtifact = (o: BuildOptions): TE.TaskEither<string, BuiltArtifact> =>
  pipe(
    plansOf(o),
    TE.chain(({ planned, changelog }) =>
      TE.tryCatch(
        async (): Promise<BuiltArtifact> => {
          const input = o.input
          const config = input._tag === 'config' ? input.config : undefined
          const baseRef = o.baseImage ?? config?.artifact.baseImage ?? DEFAULT_BASE_IMAGE
          const progress = o.progress ?? quietProgress
          progress.step(`reading the base image ${baseRef}`)
          const base = readBaseImage(baseRef, o.engine)
          const tools = baseTools(base.layers, base.name, base.config.config?.Env ?? [])
          const nodePath = tools.node
          // what the plans run beside node, refused now rather than in the middle of a converge
          const steps = [planned.clone, planned.create].flatMap((p) => p?.plan.steps ?? [])
          const hook = steps.find((s) => s.op === 'RunCommand')
          if (hook !== undefined && tools.shell === undefined) {
            throw new Error(`base image ${base.name} has no shell (looked in ${SHELL_PLACES.map((p) => `/${p}`).join(', ')}), and the plan's restart hook is a shell command (step ${hook.n}); use a base with /bin/sh, e.g. ${DEFAULT_BASE_IMAGE}`)
          }
          if (planned.create !== undefined && tools.java === undefined) {
            throw new Error(`base image ${base.name} has no java (JAVA_HOME or PATH of its Env), and the create plan's schema step runs Liquibase on Java 11 or later; use a base with Node.js 22+ and a JRE (e.g. FROM ${DEFAULT_BASE_IMAGE} plus openjdk-17-jre-headless)`)
          }
          const files = planFiles(planned)
          const first = (planned.clone ?? planned.create)!.plan
          const pkg = packageInfo(o.root)
          const revision = revisionOf(o.root)
          const manifest = manifestOf(planned, files, { mitosis: pkg.version, revision, changelog })
          progress.step('bundling the interpreter (esbuild)')
          const program: TarEntry[] = [file(ARTIFACT_PATHS.program, await bundleProgram(o.entry))]
          if (planned.create !== undefined && changelog !== undefined) {
            program.push(...liquibaseEntries(join(o.root, 'node_modules/liquibase/dist/liquibase'), ARTIFACT_PATHS.liquibase.slice(1)))
            program.push(file(changelogInImage(changelog), readFileSync(changelog)))
          }
          const contents: TarEntry[] = [
            file(ARTIFACT_PATHS.manifest, `${JSON.stringify(manifest, null, 2)}\n`),
            file(ARTIFACT_PATHS.plans, files.json),
            file(ARTIFACT_PATHS.text, files.text),
            file(ARTIFACT_PATHS.mermaid, files.mermaid),
            ...(input._tag === 'config' ? [file(ARTIFACT_PATHS.config, input.configText)] : []),
          ]
          const labels: Record<string, string> = {
            'org.opencontainers.image.created': rfc3339(o.epoch),
            'org.opencontainers.image.version': pkg.version,
            ...(revision === undefined ? {} : { 'org.opencontainers.image.revision': revision }),
            ...(pkg.repository === undefined ? {} : { 'org.opencontainers.image.source': pkg.repository }),
            'org.opencontainers.image.title': `mitosis artifact: ${first.source} → ${first.target}`,
            'org.opencontainers.image.description': `The reviewed plans (${files.modes.join(', ')}) of ${first.source} → ${first.target} in ${first.region}, and the mitosis interpreter that converges them. Run: plan, converge --mode ${files.modes[0]}.`,
            'org.opencontainers.image.base.name': base.name,
            ...(base.digest === undefined ? {} : { 'org.opencontainers.image.base.digest': base.digest }),
            'io.mitosis.source': first.source,
            'io.mitosis.target': first.target,
            'io.mitosis.region': first.region,
            'io.mitosis.plan.digest': files.digest,
          }
          const names = ['program', 'plans']
          const image = assembleImage(
            {
              base,
              layers: [
                { entries: program, createdBy: 'mitosis artifact build: the interpreter' + (planned.create !== undefined ? ', Liquibase and the changelog' : '') },
                { entries: contents, createdBy: 'mitosis artifact build: the plans and the config' },
              ],
              entrypoint: [nodePath, ARTIFACT_PATHS.program],
              cmd: ['plan'],
              workingDir: ARTIFACT_DIR,
              labels,
              epoch: o.epoch,
            },
            {
              starts: (i, files) => progress.step(`writing layer ${names[i] ?? String(i)} (${filesCount(files)})`),
              written: (layer, i, files) => progress.layer(layer, names[i] ?? String(i), files),
            },
          )
          const tag = input._tag === 'config' ? input.config.artifact.tag : input.tag
          return { image, tag, manifest, labels, base, baseRef, nodePath, layers: [program, contents] }
        },
        (e) => (e instanceof Error ? e.message : String(e)),
      ),
    ),
  )
