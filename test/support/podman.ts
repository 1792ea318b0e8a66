/**
 * Test support: a private rootful podman for one suite, and base images made from this machine's own files.
 *
 * Nothing of the machine's podman configuration or storage is used or changed: the suite's podman has its own
 * storage (--root, vfs: the machine's default storage may exist with another driver, and podman then refuses), its
 * own run and tmp dirs, and its own containers.conf through CONTAINERS_CONF (explicit ulimits, because runc cannot
 * raise the defaults in this sandbox; runc and cgroupfs, because there is no systemd). `podman system service` serves
 * the Docker API on a socket in the same dir, so `DOCKER_HOST=unix://DIR/podman.sock` makes the stock docker CLI,
 * and `mitosis artifact build`'s `docker load`, talk to it. stop() kills the service and removes the dir; it also
 * runs when the process exits (normally, on a signal, or after a failed test), so nothing outlives the test process.
 *
 * No registry can be reached, so no base image can be pulled: makeNodeBase() puts the Node 24 binary of the `node`
 * npm package (an official build), the libraries ldd lists for it, the CA bundle, a passwd/group with user 10001 and
 * a /tmp in a tar and `podman import`s it. The base has no shell. For the create path it can carry this machine's
 * Java too (javaRuntime(): the parts of the JRE that run `java -jar`), with JAVA_HOME in the image's Env.
 * See /work/shared/reference/test-environment.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import * as http from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { findJava } from '../../src/interpret/schema.js'
import { onPath } from './cli.js'
import { repoRoot } from './fixtures.js'
import { capture, stopOnExit, type Ran } from './servers.js'

export interface Podman {
  /** The suite's dir: storage/, run/, tmp/, containers.conf, podman.sock. */
  readonly dir: string
  /** unix://DIR/podman.sock: DOCKER_HOST for the docker CLI and for `mitosis artifact build`. */
  readonly dockerHost: string
  /** The global flags every podman command of this instance takes (storage, run dir, driver). */
  readonly flags: ReadonlyArray<string>
  /** The environment podman and docker commands run with: this process's, CONTAINERS_CONF and DOCKER_HOST set. */
  readonly env: NodeJS.ProcessEnv
  /** Runs `podman FLAGS args` to its end (`input` piped on stdin); never rejects. */
  readonly run: (args: ReadonlyArray<string>, options?: { readonly input?: string | Buffer; readonly timeoutMs?: number }) => Promise<Ran>
  /** Like run(), but throws with podman's stderr unless it exits 0; resolves to stdout. */
  readonly must: (args: ReadonlyArray<string>, options?: { readonly input?: string | Buffer; readonly timeoutMs?: number }) => Promise<string>
  /** Kills the service and removes the dir. Idempotent. */
  readonly stop: () => Promise<void>
}

/** Why a private podman cannot run here, or undefined when it can. */
export function podmanUnavailable(): string | undefined {
  for (const tool of ['podman', 'runc']) {
    if (!onPath(tool)) return `${tool} is not on PATH (Debian: apt-get install podman runc; .ci/run installs them)`
  }
  return undefined
}

/**
 * Registers a suite's container tests (`register`) only where podman can run: without it the suite fails under CI
 * (CI set and not empty), with one test saying why, and is skipped elsewhere with a notice.
 */
export const whenPodmanAvailable = (suite: string, register: () => void): void => {
  const why = podmanUnavailable()
  if (why === undefined) return register()
  if ((process.env['CI'] ?? '') !== '') {
    test('podman and runc are available', () => assert.unreachable(`${why}, and CI is set`))
  } else {
    console.log(`\n  notice: ${why}; skipping the ${suite} (set CI to make this a failure)\n`)
    test.skip(suite)
  }
}

const CONTAINERS_CONF = `# written by test/support/podman.ts for one suite's private podman
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "none"
`

const READY_TIMEOUT_MS = 30_000
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: socket, path: '/_ping', method: 'GET', timeout: 2_000 }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode === 200))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
    req.end()
  })
}

/** Unmounts whatever podman left mounted under `dir` (a container's shm, when a run was killed), deepest first. */
function unmountUnder(dir: string): void {
  let mounts: string[]
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((line) => (line.split(' ')[1] ?? '').replace(/\\040/g, ' '))
      .filter((m) => m.startsWith(dir + '/'))
  } catch {
    return
  }
  for (const m of mounts.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m], { stdio: 'ignore' })
}

/** Starts a private podman and its Docker API service; throws with the service's stderr if it does not answer. */
export async function startPodman(): Promise<Podman> {
  const dir = mkdtempSync(join(tmpdir(), 'mitosis-podman-'))
  const socket = join(dir, 'podman.sock')
  const conf = join(dir, 'containers.conf')
  writeFileSync(conf, CONTAINERS_CONF)
  const flags = ['--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--tmpdir', join(dir, 'tmp'), '--storage-driver', 'vfs']
  const dockerHost = `unix://${socket}`
  const env: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: conf, DOCKER_HOST: dockerHost }

  let service: ChildProcess | undefined
  let stopped = false
  const stopSync = (): void => {
    if (stopped) return
    stopped = true
    forget()
    if (service?.pid !== undefined && service.exitCode === null && service.signalCode === null) {
      try {
        process.kill(-service.pid, 'SIGKILL')
      } catch {
        /* already gone */
      }
    }
    // containers still running would keep files busy: remove them through the same storage, then the dir
    spawnSync('podman', [...flags, 'rm', '--all', '--force', '--time', '0'], { env, stdio: 'ignore', timeout: 30_000 })
    unmountUnder(dir)
    rmSync(dir, { recursive: true, force: true })
  }
  const forget = stopOnExit(dir, stopSync)

  const run = (args: ReadonlyArray<string>, options: { readonly input?: string | Buffer; readonly timeoutMs?: number } = {}): Promise<Ran> =>
    runPodman([...flags, ...args], env, options)
  const must = async (args: ReadonlyArray<string>, options: { readonly input?: string | Buffer; readonly timeoutMs?: number } = {}): Promise<string> => {
    const r = await run(args, options)
    if (r.code !== 0) throw new Error(`podman ${args.join(' ')} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`)
    return r.stdout
  }

  let stderrText = ''
  try {
    service = spawn('podman', [...flags, 'system', 'service', '--time=0', dockerHost], { env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
    service.unref()
    service.stderr?.on('data', (c: Buffer) => {
      stderrText = (stderrText + c.toString('utf8')).slice(-8_000)
    })
    ;(service.stderr as unknown as { unref?: () => void } | null)?.unref?.()
    let exited = false
    service.once('exit', () => (exited = true))
    service.once('error', () => (exited = true))
    const deadline = Date.now() + READY_TIMEOUT_MS
    while (!(await ping(socket))) {
      if (exited) throw new Error(`podman system service exited before answering\n--- stderr ---\n${stderrText.trim() || '(empty)'}`)
      if (Date.now() > deadline) throw new Error(`podman system service did not answer on ${socket} within ${READY_TIMEOUT_MS / 1000} s\n--- stderr ---\n${stderrText.trim()}`)
      await sleep(100)
    }
  } catch (e) {
    stopSync()
    throw e
  }
  return { dir, dockerHost, flags, env, run, must, stop: async () => stopSync() }
}

/** Runs podman (argv as given) to its end; resolves to its exit code and output; never rejects. */
function runPodman(argv: ReadonlyArray<string>, env: NodeJS.ProcessEnv, options: { readonly input?: string | Buffer; readonly timeoutMs?: number }): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn('podman', argv, { env, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => err.push(c))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 180_000)
    child.on('error', (e) => {
      clearTimeout(timer)
      resolve({ code: null, stdout: '', stderr: e.message })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })
    })
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.input)
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Base images from this machine's own files

/** The Node 24 binary of the `node` devDependency (an official build; symlinks resolved). */
export function nodeBinary(): string {
  return realpathSync(join(repoRoot, 'node_modules', 'node', 'bin', 'node'))
}

/** The shared libraries `ldd FILE` lists (the loader too), as absolute paths; throws when ldd fails. */
export function lddLibraries(file: string): string[] {
  const r = spawnSync('ldd', [file], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`ldd ${file} failed: ${(r.stderr || r.stdout).trim()}`)
  const libs: string[] = []
  for (const line of r.stdout.split('\n')) {
    const arrow = /=>\s*(\/\S+)/.exec(line)
    const bare = /^\s*(\/\S+)\s+\(/.exec(line)
    const path = arrow?.[1] ?? bare?.[1]
    if (path !== undefined) libs.push(path)
  }
  return libs
}

/** Copies `from` (symlinks followed) to `root` + `at` (default: the same absolute path), making its parents. */
function place(root: string, from: string, at: string = from): void {
  const to = join(root, at)
  mkdirSync(dirname(to), { recursive: true })
  copyFileSync(realpathSync(from), to)
  chmodSync(to, 0o755)
}

export interface BaseOptions {
  /** Extra files: [host path, path in the image] (e.g. a JRE's files); each one's ldd libraries come too when `ldd`. */
  readonly extra?: ReadonlyArray<readonly [string, string]>
  /** Host directories copied whole: [host dir, dir in the image] (e.g. a JRE); the ldd libraries of their executables and shared objects come too. */
  readonly trees?: ReadonlyArray<readonly [string, string]>
  /** The image config's Env (`podman import --change ENV`), e.g. JAVA_HOME: what an image built FROM it inherits. */
  readonly env?: Readonly<Record<string, string>>
}

/**
 * The root filesystem of a Node 24 base in a new temp dir under `workDir`: /usr/local/bin/node, its libraries and
 * the loader, the CA bundle if the machine has one, /etc/passwd and /etc/group with user and group 10001, /tmp 1777.
 */
export function nodeRootfs(workDir: string, options: BaseOptions = {}): string {
  const root = mkdtempSync(join(workDir, 'rootfs-'))
  chmodSync(root, 0o755) // mkdtemp makes it 0700: the image's / would then be closed to user 10001
  const node = nodeBinary()
  place(root, node, '/usr/local/bin/node')
  const libs = new Set(lddLibraries(node))
  for (const [host, at] of options.extra ?? []) {
    place(root, host, at)
    for (const lib of lddLibrariesOrNone(host)) libs.add(lib)
  }
  for (const lib of libs) place(root, lib)
  for (const [host, at] of options.trees ?? []) {
    const to = join(root, at)
    mkdirSync(dirname(to), { recursive: true })
    const r = spawnSync('cp', ['-a', '--dereference', host, to], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`cp ${host} failed: ${r.stderr.trim()}`)
    // the tree's own executables (a JRE's bin/java links libz) and shared objects; what they link inside the tree is there
    const binaries = spawnSync('find', [to, '-type', 'f', '(', '-name', '*.so*', '-o', '-perm', '-u+x', ')'], { encoding: 'utf8' }).stdout
    for (const file of binaries.split('\n').filter(Boolean)) {
      for (const lib of lddLibrariesOrNone(file)) if (!lib.startsWith(host) && !lib.startsWith(to)) place(root, lib)
    }
  }
  const ca = '/etc/ssl/certs/ca-certificates.crt'
  if (existsSync(ca)) {
    mkdirSync(join(root, 'etc/ssl/certs'), { recursive: true })
    copyFileSync(ca, join(root, ca))
  }
  mkdirSync(join(root, 'etc'), { recursive: true })
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nmitosis:x:10001:10001:mitosis:/tmp:/sbin/nologin\n')
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nmitosis:x:10001:\n')
  mkdirSync(join(root, 'tmp'))
  chmodSync(join(root, 'tmp'), 0o1777)
  return root
}

function lddLibrariesOrNone(file: string): string[] {
  try {
    return lddLibraries(file)
  } catch {
    return [] // not a dynamic executable (a static one, a script)
  }
}

/**
 * Makes a Node 24 base image `tag` in `podman` from this machine's own files (nodeRootfs, piped as a tar into
 * `podman import`); resolves to its image ID. The temp rootfs is removed after.
 */
export async function makeNodeBase(podman: Podman, tag: string, options: BaseOptions = {}): Promise<string> {
  const root = nodeRootfs(podman.dir, options)
  try {
    const tar = spawnSync('tar', ['-C', root, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@1', '-cf', '-', '.'], {
      maxBuffer: 2 * 1024 * 1024 * 1024,
    })
    if (tar.status !== 0) throw new Error(`tar of the base rootfs failed: ${tar.stderr.toString('utf8').trim()}`)
    const changes = Object.entries(options.env ?? {}).flatMap(([k, v]) => ['--change', `ENV ${k}=${v}`])
    const out = await podman.must(['import', ...changes, '-', tag], { input: tar.stdout })
    return out.trim().split('\n').at(-1)!.trim()
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

/** The Java home of this machine's `java` (JAVA_HOME, else the java on PATH, symlinks resolved), or undefined. */
export function javaHome(): string | undefined {
  const java = findJava(process.env)
  return E.isLeft(java) ? undefined : dirname(dirname(realpathSync(java.right)))
}

/**
 * What a headless `java -jar` never loads, left out of javaRuntime(): the compiler's and the sources' archives, the
 * desktop's native parts (they would pull X11, GTK and ALSA libraries in through ldd), and the CDS archive for heaps
 * over 32 GB.
 */
const JDK_ONLY = ['src.zip', 'ct.sym', 'libawt_xawt.so', 'libsplashscreen.so', 'libatk-wrapper.so', 'libjawt.so', 'libjsound.so', 'classes_nocoops.jsa']

/**
 * The parts of this machine's Java that `java -jar` needs, copied (symlinks resolved) into a new dir under `workDir`,
 * for makeNodeBase's `trees`: bin/java, lib/ and conf/ (Debian links their config files into /etc/java-17-openjdk),
 * and the release file. Not the rest of a JDK (jmods, headers, man pages, nor JDK_ONLY): they only make the base
 * bigger, and Debian leaves some of their links dangling. Throws when there is no Java.
 */
export function javaRuntime(workDir: string): string {
  const home = javaHome()
  if (home === undefined) throw new Error('no Java on PATH or in JAVA_HOME (Debian: apt-get install openjdk-17-jre-headless)')
  const out = mkdtempSync(join(workDir, 'jre-'))
  chmodSync(out, 0o755)
  place(out, join(home, 'bin', 'java'), '/bin/java')
  for (const part of ['lib', 'conf', 'release']) {
    if (!existsSync(join(home, part))) continue
    // tar follows the links (-h) and goes on past a dangling one (its complaint silenced); the JDK-only files are left out
    const r = spawnSync('sh', ['-c', `tar -C "$1" -chf - ${JDK_ONLY.map((f) => `--exclude=${f}`).join(' ')} "$2" 2>/dev/null | tar -C "$3" -xf -`, 'sh', home, part, out], {
      encoding: 'utf8',
    })
    if (r.status !== 0) throw new Error(`copying ${join(home, part)} failed: ${r.stderr.trim()}`)
  }
  if (!existsSync(join(out, 'lib', 'modules'))) throw new Error(`${home} holds no lib/modules: not a Java runtime`)
  return out
}

/** Saves image `tag` of `podman` as a docker-archive file at `path` (for `base_image = docker-archive:PATH`). */
export async function saveDockerArchive(podman: Podman, tag: string, path: string): Promise<void> {
  await podman.must(['save', '--format', 'docker-archive', '-o', path, tag])
}

/** Runs the stock docker CLI against `podman`'s socket; never rejects. */
export const docker = (podman: Podman, args: ReadonlyArray<string>, timeoutMs = 180_000): Promise<Ran> =>
  capture('docker', args, { env: podman.env, timeoutMs })

/**
 * A `podman` on a PATH of its own (`dir`/bin) that is this private instance (its global flags added), for code under
 * test that runs `podman` itself (`mitosis artifact converge --engine podman`); the environment to run it with.
 * podman itself, not the docker CLI on its socket: podman's Docker API before 4.6 answers `docker run --rm`'s wait
 * with 0 whatever the container's exit code (containers/podman#18889), and Debian 12 has 4.3.
 */
export function podmanOnPath(podman: Podman, dir: string): NodeJS.ProcessEnv {
  const bin = join(dir, 'bin')
  mkdirSync(bin, { recursive: true })
  const real = spawnSync('sh', ['-c', 'command -v podman'], { encoding: 'utf8' }).stdout.trim()
  writeFileSync(join(bin, 'podman'), `#!/bin/sh\nexec ${real} ${podman.flags.join(' ')} "$@"\n`)
  chmodSync(join(bin, 'podman'), 0o755)
  return { ...podman.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` }
}
