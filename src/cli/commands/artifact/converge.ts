import { Command, Flags } from '@oclif/core'
import { DEFAULT_ARTIFACT_TAG } from '../../../artifact/config.js'
import type { Engine } from '../../../artifact/image/base.js'
import { ENGINES, runConverge, type ConvergeMode, type PasswordSource } from '../../../artifact/run.js'
import { ExitCode, Interrupted, UserError } from '../../errors.js'
import { debugFlag } from '../../flags.js'

export default class ArtifactConverge extends Command {
  static override summary = "Run a database artifact's converge in a container: the plan it carries, applied with your AWS credentials."

  static override description = `Runs \`ENGINE run --rm -i IMAGE converge --mode M\` with the AWS directory mounted read-only at /aws (AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE point into it), AWS_PROFILE and AWS_REGION passed by name, and the container running as you (so it can read your 0600 credentials). The password is written to the container's stdin, never to its arguments, environment or \`docker inspect\`. When the profile assumes a role with MFA and no MITOSIS_MFA_CODE is set, the container gets your terminal (-t) to ask for the code, and the password reaches it as a read-only file mounted from a private temporary directory, removed afterwards.

The output streams as the container writes it, and the command exits with the container's code: 0 done or nothing to do, 1 failed (the same command resumes), 2 refused (bad input; also a missing engine, image, AWS directory or password file here, before anything runs), 3 the plan is stale (the world changed since the build: rebuild, or --replan), 130/143 interrupted.`

  static override examples = [
    { description: 'Clone, keeping the source master password', command: '<%= config.bin %> artifact converge --profile staging' },
    { description: 'A new master password from a file', command: '<%= config.bin %> artifact converge --image registry.example.com/db-artifact@sha256:… --db-password-file ./pw' },
    { description: 'Create, the password from a secrets tool', command: 'pass show db/qa | <%= config.bin %> artifact converge --mode create --db-password-stdin' },
  ]

  static override flags = {
    image: Flags.string({ summary: 'The artifact image.', helpValue: 'REF', default: DEFAULT_ARTIFACT_TAG }),
    mode: Flags.string({ summary: 'Which of the plans to converge.', options: ['clone', 'create'], default: 'clone' }),
    replan: Flags.boolean({ summary: 'When the world changed since the build, plan again (printing what differs) and apply that instead of stopping with exit 3.' }),
    profile: Flags.string({ summary: 'AWS profile for the container (default: AWS_PROFILE, else "default").', helpValue: 'P' }),
    region: Flags.string({ summary: "AWS region for the container (default: AWS_REGION, else the profile's); must be the plan's.", helpValue: 'R' }),
    'aws-dir': Flags.string({ summary: 'The directory with the AWS config and credentials files to mount (default ~/.aws).', helpValue: 'DIR' }),
    'db-password-stdin': Flags.boolean({ summary: 'Set the master password read from stdin.', exclusive: ['db-password-file'] }),
    'db-password-file': Flags.string({ summary: 'Set the master password read from this file.', helpValue: 'FILE', exclusive: ['db-password-stdin'] }),
    'mfa-code': Flags.string({ summary: 'The MFA code for a profile that needs one (or MITOSIS_MFA_CODE); otherwise typed in the container.', helpValue: 'CODE' }),
    engine: Flags.string({ summary: 'The container engine (default: docker, else podman, whichever is on PATH).', options: [...ENGINES] }),
    network: Flags.string({ summary: "The container's network (e.g. host, to reach an endpoint on this machine's loopback).", helpValue: 'NAME' }),
    ...debugFlag,
  }

  public async run(): Promise<void> {
    const { flags } = await this.parse(ArtifactConverge)
    const password: PasswordSource | undefined =
      flags['db-password-file'] !== undefined ? { from: 'file', path: flags['db-password-file'] } : flags['db-password-stdin'] ? { from: 'stdin' } : undefined
    const result = await runConverge({
      image: flags.image,
      mode: flags.mode as ConvergeMode,
      replan: flags.replan,
      engine: flags.engine as Engine | undefined,
      network: flags.network,
      profile: flags.profile,
      region: flags.region,
      aws: flags['aws-dir'],
      password,
      mfaCode: flags['mfa-code'],
    })
    if (result.code === 0) return
    if (result.line === undefined) throw new ExitCode(result.code)
    throw result.interrupted === true ? new Interrupted(result.line, result.code) : new UserError(result.line, result.code)
  }
}
