/**
 * The hook's shell: `bash -c CMD` where bash is on the PATH (stack-mitosis's shell, so its hooks run
 * unchanged), `sh -c CMD` otherwise; with the tool's environment plus the run's, output streamed by line.
 */
import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Shell } from './apply.js'

const onPath = (command: string): boolean =>
  (process.env['PATH'] ?? '').split(delimiter).some((dir) => {
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

export const processShell: Shell = {
  run: (command, env, onLine, timeoutMs) =>
    new Promise((resolve) => {
      const child = spawn(hookShell(), ['-c', command], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        // the hook and everything it started
        try {
          process.kill(-child.pid!, 'SIGKILL')
        } catch {
          child.kill('SIGKILL')
        }
      }, timeoutMs)
      createInterface({ input: child.stdout }).on('line', (l) => onLine('stdout', l))
      createInterface({ input: child.stderr }).on('line', (l) => onLine('stderr', l))
      child.on('error', () => {
        clearTimeout(timer)
        resolve({ code: 127, timedOut })
      })
      child.on('close', (code) => {
        clearTimeout(timer)
        resolve({ code, timedOut })
      })
    }),
}
