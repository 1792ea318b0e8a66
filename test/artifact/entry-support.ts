/**
 * An artifact's /mitosis made as the build makes it (plans.ts planClone / planFiles, contents.ts), in a
 * temp dir, from a plan on the simulator; and the program inside the image (src/artifact/entry/main.ts)
 * called in-process against it, on the simulator, with everything it writes kept.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { readArtifactConfig } from '../../src/artifact/config.js'
import type { ArtifactManifest } from '../../src/artifact/contents.js'
import { main, type EntryDeps, type World } from '../../src/artifact/entry/main.js'
import { manifestOf, planClone, planFiles, type PlannedModes } from '../../src/artifact/plans.js'
import { resolveTarget, subnetZonesFromGroups } from '../../src/artifact/resolve.js'
import type { Environment } from '../../src/plan/domain.js'
import { loadFixture } from '../../src/sim/fixture.js'
import type { Simulator } from '../../src/sim/simulator.js'
import { fakeShell, testLease } from '../support/apply.js'
import { auroraFixture, tmp } from './image-support.js'

export { auroraFixture }

/** The world of auroraFixture. */
export const auroraWorld = (): Environment => {
  const env = loadFixture(auroraFixture())
  if (E.isLeft(env)) throw new Error(env.left)
  return env.right
}

export const INI = ['[source_db]', 'source_db_cluster_id = shop-prod', '', '[target_db]', 'target_db_cluster_id = shop-staging', 'subnet_ids = source', 'instance_type = db.r6g.large', '', '[artifact]', 'tag = example/db-artifact:1', ''].join('\n')

export const zonesFor: World['zonesFor'] = (rds, group) => subnetZonesFromGroups(rds, group === undefined ? [] : [group])

export interface Root {
  readonly dir: string
  readonly planned: PlannedModes
  readonly manifest: ArtifactManifest
}

/** Writes what the build's last layer holds into a fresh dir: artifact.json, plans.json/.txt/.mmd and (ini) artifact.ini. */
export const writeRoot = (planned: PlannedModes, opts: { readonly ini?: string | undefined } = {}): Root => {
  const dir = tmp()
  const files = planFiles(planned)
  const manifest = manifestOf(planned, files, { mitosis: '0.1.0' })
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'artifact.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  writeFileSync(join(dir, 'plans.json'), files.json)
  writeFileSync(join(dir, 'plans.txt'), files.text)
  writeFileSync(join(dir, 'plans.mmd'), files.mermaid)
  if (opts.ini !== undefined) writeFileSync(join(dir, 'artifact.ini'), opts.ini)
  return { dir, planned, manifest }
}

/** The clone plan the build makes from INI on `sim`, in a root as the image holds it. */
export const iniRoot = async (sim: Simulator, ini = INI): Promise<Root> => {
  const configDir = tmp()
  const configPath = join(configDir, 'artifact.ini')
  writeFileSync(configPath, ini)
  const config = readArtifactConfig(configPath)
  if (E.isLeft(config)) throw new Error(JSON.stringify(config.left))
  const resolved = await resolveTarget(sim, config.right, zonesFor)()
  if (E.isLeft(resolved)) throw new Error(resolved.left)
  const clone = await planClone({ rds: sim }, config.right, resolved.right)()
  if (E.isLeft(clone)) throw new Error(clone.left)
  return writeRoot({ clone: clone.right }, { ini })
}

export interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv
  readonly stdin?: string
  readonly terminationLog?: string
  /** Called with each piece written to stdout (e.g. to interrupt the run at a step). */
  readonly onStdout?: (text: string) => void
}

/** main() on the simulator with `root` as /mitosis: exit code, stdout, stderr. */
export const runEntry = async (root: string, argv: string[], sim: Simulator | undefined, o: RunOptions = {}): Promise<Ran> => {
  let stdout = ''
  let stderr = ''
  const deps: Partial<EntryDeps> = {
    root,
    stdout: (t) => {
      stdout += t
      o.onStdout?.(t)
    },
    stderr: (t) => {
      stderr += t
    },
    terminal: undefined,
    env: o.env ?? { AWS_REGION: 'us-east-1' },
    readStdin: async () => o.stdin ?? '',
    stdinIsTTY: o.stdin === undefined,
    connect: async () => {
      if (sim === undefined) throw new Error('this run was not to read the world')
      return { capabilities: { rds: sim, clock: sim.clock, shell: fakeShell().shell, random: () => 0.5 }, zonesFor }
    },
    terminationLog: o.terminationLog ?? join(tmp(), 'no-termination-log'),
    lease: testLease(),
  }
  const code = await main(argv, deps)
  return { code, stdout, stderr }
}

export const show = (r: Ran): string => `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`
