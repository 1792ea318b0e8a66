/** The hook's shell: `sh -c CMD` with the tool's environment plus the run's, output streamed by line. */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { Shell } from './apply.js'

export const processShell: Shell = {
  run: (command, env, onLine, timeoutMs) =>
    new Promise((resolve) => {
      const child = spawn('sh', ['-c', command], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
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
