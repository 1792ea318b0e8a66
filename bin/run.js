#!/usr/bin/env node
// mitosis needs Node.js 22 or newer; a checkout carries Node 24 in node_modules (the `node`
// devDependency), so an older system node hands over to it.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  const local = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url))
  if (!existsSync(local)) {
    process.stderr.write(`Error: mitosis needs Node.js 22 or newer; this is ${process.version}\n`)
    process.exit(1)
  }
  const child = spawnSync(local, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' })
  process.exit(child.status ?? 1)
}

// a reader that stops early (`| head`) is not an error
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0)
  throw e
})

const { main } = await import('../dist/src/cli/main.js')
process.exitCode = await main(process.argv.slice(2), import.meta.url)
