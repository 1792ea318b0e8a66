#!/usr/bin/env node
// mitosis needs Node.js 22 or newer; a checkout carries Node 24 in node_modules (the `node`
// devDependency), so an older system node hands over to it: the real process is its child, which
// gets the signals this one gets (SIGINT, SIGTERM, SIGHUP), and whose exit code this one exits with
// (128 + the signal's number when a signal ended it, as a shell says).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { constants } from 'node:os'
import { fileURLToPath } from 'node:url'

const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  const local = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url))
  if (!existsSync(local)) {
    process.stderr.write(`Error: mitosis needs Node.js 22 or newer; this is ${process.version}\n`)
    process.exit(1)
  }
  const child = spawn(local, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    })
  }
  child.on('error', (e) => {
    process.stderr.write(`Error: cannot start ${local}: ${e.message}\n`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0))))
} else {
  // a reader that stops early (`| head`) is not an error
  process.stdout.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(0)
    throw e
  })

  const { main } = await import('../dist/src/cli/main.js')
  process.exitCode = await main(process.argv.slice(2), import.meta.url)
}
