import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Args, Flags } from '@oclif/core'
import * as E from 'fp-ts/lib/Either.js'
import { buildArtifact, epochOf, type BuildInput } from '../../../artifact/build.js'
import { readArtifactConfig, renderConfigProblems, DEFAULT_ARTIFACT_TAG } from '../../../artifact/config.js'
import { stderrProgress, quietProgress } from '../../../artifact/image/progress.js'
import { loadIntoEngine, OUTPUT_TYPES, writeContext, writeOutput, type OutputType } from '../../../artifact/output.js'
import { ec2SubnetZones } from '../../../artifact/ec2-zones.js'
import type { Engine } from '../../../artifact/image/base.js'
import { chooseEngine } from '../../../artifact/run.js'
import { subnetZonesFromGroups } from '../../../artifact/resolve.js'
import { connectWorld } from '../../wiring.js'
import { UserError } from '../../errors.js'
import { debugFlag, worldFlags } from '../../flags.js'
import { MitosisCommand } from '../../output.js'

/** mitosis's own root (dist/src/cli/commands/artifact → the package). */
const root = fileURLToPath(new URL('../../../../../', import.meta.url))

export default class ArtifactBuild extends MitosisCommand {
  static override summary = 'Build a database artifact: a container image with the reviewed plans and the interpreter that converges them.'

  static override description = `Resolves the config's "source" values, plans the clone (and the create, when a Liquibase changelog is given), and writes the image without a daemon: the base image's layers, a layer with the interpreter (and Liquibase), and a small layer with the plans and the config. No secret is read or stored: the converge supplies the password. The same inputs and SOURCE_DATE_EPOCH (default 1) give the same image ID.

By default the image is loaded with \`docker load\` (DOCKER_HOST honoured) and its ID printed; --output TYPE --out PATH writes it instead, --context-only DIR writes a Dockerfile build context with the same files.`

  static override examples = [
    { description: 'Build and load into docker', command: '<%= config.bin %> artifact build artifact.ini' },
    { description: 'Write an OCI archive, base from an OCI layout', command: '<%= config.bin %> artifact build artifact.ini --base-image oci:./node-base --output oci-archive --out artifact.tar' },
    { description: 'From a saved plan', command: '<%= config.bin %> artifact build --plan plan.json --output docker-archive --out artifact.tar' },
  ]

  static override args = { config: Args.string({ description: 'The artifact config (INI).', required: false }) }

  static override flags = {
    plan: Flags.string({ summary: 'Build from a saved plan (mitosis … --plan --out FILE) instead of a config.', helpValue: 'FILE' }),
    output: Flags.string({ summary: 'Write the image as this type to --out instead of loading it.', options: [...OUTPUT_TYPES], helpValue: 'TYPE' }),
    out: Flags.string({ summary: 'Where --output writes (a file, or a directory for oci-dir).', helpValue: 'PATH' }),
    'context-only': Flags.string({ summary: 'Write a Dockerfile build context with the same files (for Kaniko or buildah) instead.', helpValue: 'DIR' }),
    tag: Flags.string({ summary: `The image's name:tag (default: the config's [artifact] tag, or ${DEFAULT_ARTIFACT_TAG}).`, helpValue: 'T' }),
    'base-image': Flags.string({ summary: 'The base image (with Node.js 22+): NAME (docker save), docker-archive:PATH, oci-archive:PATH or oci:DIR.', helpValue: 'REF' }),
    engine: Flags.string({ summary: 'The container engine for the base (save) and the image (load) (default: docker, else podman, whichever is on PATH).', options: ['docker', 'podman'] }),
    entry: Flags.string({ summary: 'The module bundled as the program (default: the interpreter).', hidden: true }),
    ...worldFlags,
    ...debugFlag,
  }

  public async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ArtifactBuild)
    if ((args.config === undefined) === (flags.plan === undefined)) throw new UserError('give an artifact config (CONFIG.ini) or --plan FILE, one of them', 2)
    if (flags.output !== undefined && flags.out === undefined) throw new UserError('--output needs --out PATH', 2)
    if (flags.out !== undefined && flags.output === undefined) throw new UserError('--out needs --output oci-archive|oci-dir|docker-archive', 2)
    if (flags.output !== undefined && flags['context-only'] !== undefined) throw new UserError('--output and --context-only: give one of them', 2)
    const epoch = epochOf(process.env)
    if (E.isLeft(epoch)) throw new UserError(epoch.left, 2)
    let input: BuildInput
    if (args.config !== undefined) {
      const config = readArtifactConfig(args.config)
      if (E.isLeft(config)) throw new UserError(renderConfigProblems(config.left), 2)
      const c = flags.tag === undefined ? config.right : { ...config.right, artifact: { ...config.right.artifact, tag: flags.tag } }
      input = { _tag: 'config', config: c, configText: readFileSync(args.config, 'utf8') }
    } else input = { _tag: 'plan', file: flags.plan!, tag: flags.tag ?? DEFAULT_ARTIFACT_TAG }
    const region = input._tag === 'config' ? input.config.target.region : undefined
    const { capabilities: caps, credentials } = await connectWorld({ ...flags, region: flags.region ?? region })
    const entry = flags.entry ?? `${root}dist/src/artifact/entry/main.js`
    if (!existsSync(entry)) throw new UserError(`the interpreter to bundle is missing: ${entry} (run npx tsc -p tsconfig.json)`)
    // as converge picks it; with neither on PATH, docker, whose absence is said when (and only if) it is needed
    const engine = (flags.engine as Engine | undefined) ?? E.getOrElse((): Engine => 'docker')(chooseEngine(undefined, process.env['PATH']))
    const progress = this.jsonEnabled() ? quietProgress : stderrProgress()
    const built = await buildArtifact({
      caps,
      input,
      entry,
      baseImage: flags['base-image'],
      engine,
      epoch: epoch.right,
      root,
      // an explicit subnet list: its zones from EC2 on AWS; on the simulator, from the fixture's subnet groups
      zonesFor: (rds, group) =>
        flags.simulate !== undefined
          ? subnetZonesFromGroups(rds, group === undefined ? [] : [group])
          : ec2SubnetZones({ region: rds.region, profile: flags.profile ?? process.env['AWS_PROFILE'], credentials: credentials?.provider }),
      progress,
    })()
    if (E.isLeft(built)) throw new UserError(built.left, 2)
    const b = built.right
    const result = { imageId: b.image.configDigest, manifestDigest: b.image.manifestDigest, tag: b.tag, planDigest: b.manifest.planDigest, modes: b.manifest.modes }
    if (flags['context-only'] !== undefined) {
      progress.step(`writing the build context ${flags['context-only']}`)
      writeContext(b, flags['context-only'])
      progress.done(`wrote the build context of ${b.tag}`)
      if (!this.jsonEnabled()) process.stdout.write(`${flags['context-only']}\n`)
      return { ...result, context: flags['context-only'] }
    }
    if (flags.output !== undefined) {
      progress.step(`writing ${flags.output} ${flags.out}`)
      writeOutput(b, flags.output as OutputType, flags.out!, epoch.right)
      progress.done(`wrote ${b.tag} as ${flags.output} ${flags.out}`)
      if (!this.jsonEnabled()) process.stdout.write(`${b.image.configDigest}\n`)
      return { ...result, output: flags.output, out: flags.out }
    }
    progress.step(`loading ${b.tag} into ${engine} (${engine} load${engine === 'docker' && process.env['DOCKER_HOST'] !== undefined ? ` on ${process.env['DOCKER_HOST']}` : ''})`)
    const id = await loadIntoEngine(b, engine, epoch.right).catch((e: Error) => {
      throw new UserError(e.message)
    })
    progress.done(`loaded ${b.tag}`)
    if (!this.jsonEnabled()) process.stdout.write(`${id}\n`)
    return { ...result, imageId: id }
  }
}
