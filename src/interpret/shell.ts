/**
 * The hook's shell: `bash -c CMD` where bash is on the PATH (stack-mitosis's shell, so its hooks run
 * unchanged), `sh -c CMD` otherwise; with the tool's environment plus the run's, output streamed by line.
 * The hook runs in a process group of its own, so that it and everything it started can be ended
 * together: at its timeout, or when the run is interrupted (SIGTERM first, SIGKILL after a grace period).
 */
import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Exec, Shell } from './capabilities.js'

/** How long an interrupted hook gets to end after SIGTERM before its process group is killed. */
export const HOOK_GRACE_MS = 5_000

/** The process groups of the hooks running now (their leaders' pids). */
const running = new Set<number>()

const signalGroup = (pid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(-pid, signal)
  } catch {
    // already gone
  }
}

/** Ends every running hook's process group at once (a second Ctrl-C: no grace period). */
export const killHooks = (): void => {
  for (const pid of running) signalGroup(pid, 'SIGKILL')
}

/** Whether an executable `command` is in one of `path`'s directories (default: this process's PATH). */
export const onPath = (command: string, path: string | undefined = process.env['PATH']): boolean =>
  (path ?? '').split(delimiter).some((dir) => {
    if (dir === '') return false
    try {
      accessSync(join(dir, command), constants.X_OK)
      return true
    } catch {
      return false
    }
  })

let shell: string | undefined
/** `bash` where there is one, else `sh` (looked up once). */
export const hookShell = (): string => (shell ??= onPath('bash') ? 'bash' : 'sh')

/**
 * Runs `file` with `args` in a process group of its own, output streamed by line, ended (the whole group) at
 * its timeout or when `signal` aborts: what a hook and Liquibase share.
 */
const spawnGroup: Exec = (file, args, env, onLine, timeoutMs, signal) =>
    new Promise((resolve) => {
      const child = spawn(file, [...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
      const pid = child.pid
      if (pid !== undefined) running.add(pid)
      let timedOut = false
      let grace: NodeJS.Timeout | undefined
      const timer = setTimeout(() => {
        timedOut = true
        if (pid !== undefined) signalGroup(pid, 'SIGKILL')
      }, timeoutMs)
      const interrupt = () => {
        if (pid === undefined) return
        signalGroup(pid, 'SIGTERM')
        grace = setTimeout(() => signalGroup(pid, 'SIGKILL'), HOOK_GRACE_MS)
      }
      if (signal?.aborted === true) interrupt()
      else signal?.addEventListener('abort', interrupt, { once: true })
      const settle = (code: number | null) => {
        clearTimeout(timer)
        if (grace !== undefined) clearTimeout(grace)
        signal?.removeEventListener('abort', interrupt)
        if (pid !== undefined) running.delete(pid)
        resolve({ code, timedOut })
      }
      createInterface({ input: child.stdout }).on('line', (l) => onLine('stdout', l))
      createInterface({ input: child.stderr }).on('line', (l) => onLine('stderr', l))
      child.on('error', () => settle(127))
      child.on('close', (code) => settle(code))
    })

export const processShell: Shell = {
  run: (command, env, onLine, timeoutMs, signal) => spawnGroup(hookShell(), ['-c', command], env, onLine, timeoutMs, signal),
  exec: spawnGroup,
}
