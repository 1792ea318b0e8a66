/**
 * The host side of a database artifact's converge (`mitosis artifact converge`, `db-artifact-converge`): runs
 * the image's own `converge` in a container with the user's AWS configuration mounted read-only, and hands the
 * master password to it over the container's stdin, so it is never in an argument (the process table, shell
 * history), in the container's environment, or in what `docker inspect` shows.
 *
 * Three layers: `prepareConverge` reads what the host says (the engine on PATH, the AWS directory, the password,
 * whether the profile needs an MFA code typed) and refuses bad input with one line before anything runs;
 * `convergeInvocation` turns that into the engine's argv (pure); `runConverge` runs it, streaming its output,
 * forwarding signals, and gives back the container's exit code.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { constants as osConstants, homedir, tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import type { Engine } from './image/base.js'
import { onPath } from '../interpret/shell.js'
import { MFA_CODE_ENV } from '../aws/credentials/mfa.js'
import type { ConvergeMode } from './contents.js'
import { readProcessStdin, stripNewline } from '../cli/password-source.js'

export const ENGINES: ReadonlyArray<Engine> = ['docker', 'podman']
export type { ConvergeMode }

/** Where the AWS directory is mounted in the container, and where a password file is when stdin cannot carry it. */
export const AWS_MOUNT = '/aws'
export const PASSWORD_MOUNT = '/run/secrets/db-password'

/** Where the password comes from on the host. `value` is the seed's `--db_password VALUE` (argv: visible to others). */
export type PasswordSource =
  | { readonly from: 'stdin' }
  | { readonly from: 'file'; readonly path: string }
  | { readonly from: 'value'; readonly value: string }

/** What the user asked for, as either command's flags say it. */
export interface ConvergeRequest {
  readonly image: string
  readonly mode: ConvergeMode
  readonly replan?: boolean | undefined
  readonly engine?: Engine | undefined
  /** `--network NAME` for the container (e.g. host, to reach an endpoint on the host's loopback). */
  readonly network?: string | undefined
  readonly profile?: string | undefined
  readonly region?: string | undefined
  /** The AWS directory (config and credentials), or a credentials file (the seed's --aws_credentials); default ~/.aws. */
  readonly aws?: string | undefined
  readonly password?: PasswordSource | undefined
  /** A code for a profile that assumes a role with MFA: then no terminal is needed. */
  readonly mfaCode?: string | undefined
}

/** What the host looks at: injectable, so the decisions are testable without a terminal or a PATH. */
export interface Host {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly stdinIsTTY: boolean
  readonly readStdin: () => Promise<string>
  readonly uid: number | undefined
  readonly gid: number | undefined
}

/** Everything the engine's argv is made from, decided. */
export interface InvocationOptions {
  readonly engine: Engine
  readonly image: string
  readonly mode: ConvergeMode
  readonly replan: boolean
  readonly network?: string | undefined
  /** The host directory mounted read-only at /aws, and the names of the two files in it. */
  readonly awsDir: string
  readonly configFile: string
  readonly credentialsFile: string
  /** Variables passed by name (`-e NAME`): their values are in the engine's environment, not in its argv. */
  readonly passByName: ReadonlyArray<string>
  readonly password?: string | undefined
  /** A terminal for the container (an MFA code is typed there); the password then comes from `passwordFile`. */
  readonly tty: boolean
  /** With tty and a password: the host file mounted read-only at PASSWORD_MOUNT. */
  readonly passwordFile?: string | undefined
  /** The engine's user options (see userOptions). */
  readonly user: ReadonlyArray<string>
}

export interface Invocation {
  readonly command: Engine
  readonly args: ReadonlyArray<string>
  /** Written to the container's stdin, which is then closed. */
  readonly stdinPassword?: string | undefined
  readonly tty: boolean
}

/**
 * The container runs as the host user: the mounted credentials are the user's own files, normally mode 0600,
 * which the image's user (10001) could not read. Docker (rootful) maps uids one to one; rootless podman maps the
 * host user to the container's root, so `--userns=keep-id` keeps it the same uid inside. A root host user is root
 * inside (root's files are only root's).
 */
export const userOptions = (engine: Engine, uid: number | undefined, gid: number | undefined): ReadonlyArray<string> => {
  if (uid === undefined || gid === undefined) return []
  if (engine === 'podman' && uid !== 0) return ['--userns=keep-id', '--user', `${uid}:${gid}`]
  return ['--user', `${uid}:${gid}`]
}

/** The engine's argv: pure. */
export const convergeInvocation = (o: InvocationOptions): Invocation => {
  const viaFile = o.tty && o.password !== undefined
  const args = [
    'run',
    '--rm',
    '-i',
    ...(o.tty ? ['-t'] : []),
    ...(o.network === undefined ? [] : ['--network', o.network]),
    ...o.user,
    '-v',
    `${o.awsDir}:${AWS_MOUNT}:ro`,
    ...(viaFile ? ['-v', `${o.passwordFile}:${PASSWORD_MOUNT}:ro`] : []),
    '-e',
    `AWS_CONFIG_FILE=${AWS_MOUNT}/${o.configFile}`,
    '-e',
    `AWS_SHARED_CREDENTIALS_FILE=${AWS_MOUNT}/${o.credentialsFile}`,
    ...o.passByName.flatMap((name) => ['-e', name]),
    o.image,
    'converge',
    '--mode',
    o.mode,
    ...(o.replan ? ['--replan'] : []),
    ...(o.password === undefined ? [] : viaFile ? ['--db-password-file', PASSWORD_MOUNT] : ['--db-password-stdin']),
  ]
  return { command: o.engine, args, stdinPassword: viaFile ? undefined : o.password, tty: o.tty }
}


/** The engine asked for, else docker, else podman, whichever is on PATH. */
export const chooseEngine = (asked: Engine | undefined, path: string | undefined): E.Either<string, Engine> => {
  if (asked !== undefined) return onPath(asked, path) ? E.right(asked) : E.left(`${asked} is not on PATH; install it, or choose the other engine with --engine`)
  const found = ENGINES.find((e) => onPath(e, path))
  return found === undefined ? E.left('neither docker nor podman is on PATH; install one of them to run the artifact') : E.right(found)
}

/** The AWS directory to mount and the two file names in it: a directory as it is, a credentials file in its directory. */
export const awsLocation = (
  given: string | undefined,
  home: string,
): E.Either<string, { readonly dir: string; readonly configFile: string; readonly credentialsFile: string }> => {
  const path = resolve(given ?? join(home, '.aws'))
  if (!existsSync(path)) {
    return E.left(
      given === undefined
        ? `${path}: no AWS configuration there; run \`aws configure\`, or give the directory with the config and credentials files`
        : `${path}: no such file or directory (the AWS configuration to mount)`,
    )
  }
  if (statSync(path).isDirectory()) return E.right({ dir: path, configFile: 'config', credentialsFile: 'credentials' })
  return E.right({ dir: dirname(path), configFile: 'config', credentialsFile: basename(path) })
}

/**
 * Whether `profile` assumes a role with MFA (`mfa_serial` in its section of the config or credentials file):
 * then the SDK inside the container asks for a code on its stdin. Unreadable files say nothing here; the
 * container reports them as the SDK sees them.
 */
export const profileNeedsMfa = (configPath: string, credentialsPath: string, profile: string): boolean => {
  const configNames = profile === 'default' ? ['default', 'profile default'] : [`profile ${profile}`]
  return hasMfaSerial(configPath, configNames) || hasMfaSerial(credentialsPath, [profile])
}

/**
 * Whether one of `sections` of the INI file at `path` sets mfa_serial. Read line by line as the SDK does (a
 * general INI reader would take the dots of a profile name for nesting).
 */
const hasMfaSerial = (path: string, sections: ReadonlyArray<string>): boolean => {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return false
  }
  let inside = false
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    const header = line.match(/^\[\s*(.+?)\s*\]$/)
    if (header !== null) inside = sections.includes(header[1]!.replace(/\s+/g, ' '))
    else if (inside && /^mfa_serial\s*=\s*\S/.test(line)) return true
  }
  return false
}

/** The variables the container gets by name, when the engine's environment has them. */
export const passedNames = (env: Readonly<Record<string, string | undefined>>): ReadonlyArray<string> => {
  const set = (name: string) => env[name] !== undefined && env[name] !== ''
  // AWS_ENDPOINT_URL(_SERVICE) points the SDK at an emulator or a private endpoint: not a secret, and needed inside too
  const endpoints = Object.keys(env)
    .filter((k) => /^AWS_ENDPOINT_URL(_[A-Z0-9_]+)?$/.test(k) && set(k))
    .sort()
  return [...['AWS_PROFILE', 'AWS_REGION'].filter(set), ...endpoints, ...(set(MFA_CODE_ENV) ? [MFA_CODE_ENV] : [])]
}

/** What prepareConverge decided: the invocation's options, and the environment the engine runs with. */
export interface Prepared {
  readonly options: InvocationOptions
  readonly env: Readonly<Record<string, string | undefined>>
}

/** Refused before anything runs: one line, exit 2. */
const refuse = (line: string): E.Either<string, never> => E.left(line)

export const prepareConverge = async (req: ConvergeRequest, host: Host): Promise<E.Either<string, Prepared>> => {
  const engine = chooseEngine(req.engine, host.env['PATH'])
  if (E.isLeft(engine)) return engine
  const aws = awsLocation(req.aws, host.env['HOME'] ?? homedir())
  if (E.isLeft(aws)) return aws
  // the profile and region go by name: set in the engine's environment, read by the engine from it
  const env: Record<string, string | undefined> = { ...host.env }
  if (req.profile !== undefined) env['AWS_PROFILE'] = req.profile
  if (req.region !== undefined) env['AWS_REGION'] = req.region
  if (req.mfaCode !== undefined) env[MFA_CODE_ENV] = req.mfaCode
  const profile = env['AWS_PROFILE'] ?? 'default'
  const haveCode = env[MFA_CODE_ENV] !== undefined && env[MFA_CODE_ENV] !== ''
  const needsTerminal = !haveCode && profileNeedsMfa(join(aws.right.dir, aws.right.configFile), join(aws.right.dir, aws.right.credentialsFile), profile)

  let password: string | undefined
  const source = req.password
  if (source?.from === 'stdin') {
    if (host.stdinIsTTY) return refuse('--db-password-stdin: stdin is a terminal; pipe the password in (or use --db-password-file)')
    if (needsTerminal) {
      return refuse(
        `profile ${profile} needs an MFA code typed on a terminal, and stdin carries the password: run from a terminal with --db-password-file FILE, or give the code in ${MFA_CODE_ENV}`,
      )
    }
    password = stripNewline(await host.readStdin())
  } else if (source?.from === 'file') {
    try {
      password = stripNewline(readFileSync(source.path, 'utf8'))
    } catch (e) {
      return refuse(`--db-password-file ${source.path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? 'error'}`)
    }
  } else if (source?.from === 'value') password = source.value
  if (password === '') return refuse('the database password is empty')
  if (needsTerminal && !host.stdinIsTTY) {
    return refuse(`profile ${profile} needs an MFA code and there is no terminal to type it on: give the code in ${MFA_CODE_ENV} (or --mfa-code)`)
  }
  return E.right({
    env,
    options: {
      engine: engine.right,
      image: req.image,
      mode: req.mode,
      replan: req.replan === true,
      network: req.network,
      awsDir: aws.right.dir,
      configFile: aws.right.configFile,
      credentialsFile: aws.right.credentialsFile,
      passByName: passedNames(env),
      password,
      tty: needsTerminal,
      user: userOptions(engine.right, host.uid, host.gid),
    },
  })
}

/**
 * A one-part name ("db-artifact:latest", as `mitosis artifact build` tags by default) is a local image: the engine
 * would otherwise look for an official image of that name on Docker Hub. A name with a path or a registry
 * (registry.example.com/team/db-artifact@sha256:…) is left to the engine to pull.
 */
export const isLocalReference = (image: string): boolean => !image.includes('/')

/**
 * Whether the engine has `image` (a quiet `image inspect`), or why it cannot say (the Docker CLI without a
 * daemon to talk to): a line for the user.
 */
export const localImage = (engine: Engine, image: string, env: Readonly<Record<string, string | undefined>>): 'present' | 'absent' | { readonly problem: string } => {
  const r = spawnSync(engine, ['image', 'inspect', image], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 60_000 })
  if (r.status === 0) return 'present'
  const said = (r.stderr ?? '').trim()
  if (r.error === undefined && /no such (image|object)|image not known|not found/i.test(said)) return 'absent'
  const last = said.split('\n').pop() || (r.error?.message ?? `exit ${r.status}`)
  return { problem: `${engine} cannot say whether it has image ${image}: ${last.replace(/^Error:\s*/i, '')}${engine === 'docker' ? ' (start its daemon, set DOCKER_HOST, or use --engine podman)' : ''}` }
}

/** The outcome: the code to exit with, and a line to say when the container has not said it itself. */
export interface ConvergeResult {
  readonly code: number
  readonly line?: string | undefined
  /** The run was ended by a signal (said without "Error:"). */
  readonly interrupted?: boolean | undefined
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** 128 + the signal's number, as a shell reports a command a signal ended. */
const signalExit = (signal: NodeJS.Signals): number => 128 + (osConstants.signals[signal] ?? 0)

/** What an engine's own failure (125: it could not run the container at all) means, from its last words. */
export const engineFailure = (engine: Engine, image: string, stderrTail: string): string =>
  /unable to find image|image not known|no such image|manifest unknown|not found|pull access denied|repository does not exist/i.test(stderrTail)
    ? `image ${image}: not found by ${engine} (build it with \`mitosis artifact build\`, or check the name)`
    : `${engine} could not start the container (exit 125): ${(stderrTail.trim().split('\n').pop() || 'see its message above').replace(/^Error:\s*/i, '')}`

/** A temporary directory only the host user can enter, with the password in a file the container reads (see runConverge). */
const writePasswordFile = (password: string): { readonly path: string; readonly remove: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), 'mitosis-converge-'))
  const path = join(dir, 'db-password')
  writeFileSync(path, password, { mode: 0o600 })
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * Runs the converge and resolves to its outcome; never throws for bad input (a line and exit 2 instead).
 *
 * Normally the password is written to the container's stdin (`--db-password-stdin`) and stdin is closed. When an MFA
 * code must be typed, the container's stdin is the terminal (`-t`), so it cannot also carry the password: then the
 * password is written to a 0600 file in a fresh 0700 temporary directory (the container runs as the host user, see
 * userOptions, so it can read it), mounted read-only at /run/secrets/db-password, and removed when the container
 * ends. It is still not in argv, in the container's environment, or in `docker inspect` (which shows the mount's
 * path only).
 */
export const runConverge = async (req: ConvergeRequest, host: Host = processHost()): Promise<ConvergeResult> => {
  const prepared = await prepareConverge(req, host)
  if (E.isLeft(prepared)) return { code: 2, line: prepared.left }
  const { options, env } = prepared.right
  if (isLocalReference(options.image)) {
    const local = localImage(options.engine, options.image, env)
    if (local === 'absent') return { code: 2, line: `image ${options.image}: ${options.engine} does not have it (build it with \`mitosis artifact build\`, or give --image)` }
    if (local !== 'present') return { code: 2, line: local.problem }
  }
  const secret = options.tty && options.password !== undefined ? writePasswordFile(options.password) : undefined
  try {
    const invocation = convergeInvocation({ ...options, passwordFile: secret?.path })
    return await spawnEngine(invocation, env, options.image)
  } finally {
    secret?.remove()
  }
}

const spawnEngine = (inv: Invocation, env: Readonly<Record<string, string | undefined>>, image: string): Promise<ConvergeResult> =>
  new Promise((done) => {
    // With a terminal the engine needs it as its stdin and in the foreground. Without one, the engine gets its own
    // process group, so a Ctrl-C at the terminal reaches it once (forwarded from here), not twice: a second signal
    // would make the program inside stop at once instead of cleanly.
    const child = spawn(inv.command, inv.args, {
      env: env as NodeJS.ProcessEnv,
      stdio: [inv.tty ? 'inherit' : 'pipe', 'inherit', 'pipe'],
      detached: !inv.tty,
    })
    let tail = ''
    child.stderr!.on('data', (d: Buffer) => {
      process.stderr.write(d)
      tail = (tail + d.toString('utf8')).slice(-4096)
    })
    let received: (typeof SIGNALS)[number] | undefined
    const handlers = SIGNALS.map((sig) => {
      const handler = () => {
        received ??= sig
        if (child.exitCode === null && child.signalCode === null) child.kill(sig)
      }
      process.on(sig, handler)
      return [sig, handler] as const
    })
    const dispose = () => {
      for (const [sig, handler] of handlers) process.off(sig, handler)
    }
    child.on('error', (e) => {
      dispose()
      done({ code: 2, line: `cannot run ${inv.command}: ${(e as NodeJS.ErrnoException).code ?? e.message}` })
    })
    if (child.stdin !== null) {
      child.stdin.on('error', () => undefined)
      child.stdin.end(inv.stdinPassword ?? '')
    }
    child.on('close', (code, signal) => {
      dispose()
      if (signal !== null) {
        const exit = signalExit(signal)
        return done({ code: exit, interrupted: true, line: `${inv.command} ended by ${signal} (exit ${exit}); the same command resumes the converge` })
      }
      const c = code ?? 1
      if (c === 125) {
        const line = engineFailure(inv.command, image, tail)
        return done({ code: line.startsWith('image ') ? 2 : 1, line })
      }
      // the program inside says why for its own codes (see the README's exit codes); others are the container's
      if ([0, 1, 2, 3].includes(c)) return done({ code: c, interrupted: received !== undefined || undefined })
      if ([129, 130, 143].includes(c)) return done({ code: c, interrupted: true })
      done({ code: c, line: `the container exited ${c}${c === 137 ? ' (killed: out of memory, or docker kill)' : c === 126 || c === 127 ? ' (the image cannot run its program)' : ''}` })
    })
  })

/** This process's view of the host. */
export const processHost = (): Host => ({
  env: process.env,
  stdinIsTTY: process.stdin.isTTY === true,
  readStdin: readProcessStdin,
  uid: process.getuid?.(),
  gid: process.getgid?.(),
})
