/**
 * The private podman and the Node base of test/support/podman.ts on their own (before any artifact): a base made from
 * this machine's files, an image built FROM it with a Dockerfile through the docker CLI on podman's socket, run
 * read-only as user 10001 on the host network, reaching a moto_server with Node's own fetch.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startMoto, whenMotoAvailable, type Moto } from '../support/moto.js'
import { docker, makeNodeBase, startPodman, whenPodmanAvailable, type Podman } from '../support/podman.js'

let podman: Podman | undefined
let moto: Moto | undefined
const dirs: string[] = []

whenPodmanAvailable('podman base image tests', () =>
  whenMotoAvailable('podman base image tests', () => {
    test.after(async () => {
      await moto?.stop()
      await podman?.stop()
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
    })

    test('a Node 24 base from this machine runs a Dockerfile-built image read-only as 10001 and reaches moto', async () => {
      const t0 = Date.now()
      podman = await startPodman()
      moto = await startMoto()
      const id = await makeNodeBase(podman, 'localhost/node-base:test')
      console.log(`  podman started and base imported in ${Date.now() - t0} ms (${id.slice(0, 12)})`)
      const ctx = mkdtempSync(join(tmpdir(), 'mitosis-ctx-'))
      dirs.push(ctx)
      writeFileSync(join(ctx, 'probe.mjs'), `const r = await fetch(process.argv[2] + '/moto-api/'); console.log(process.version, process.getuid(), r.status)\n`)
      writeFileSync(join(ctx, 'Dockerfile'), 'FROM localhost/node-base:test\nCOPY probe.mjs /probe.mjs\nUSER 10001\nENTRYPOINT ["/usr/local/bin/node", "/probe.mjs"]\n')
      const built = await docker(podman, ['build', '-q', '-t', 'localhost/probe:test', ctx])
      assert.is(built.code, 0, built.stderr)
      const t1 = Date.now()
      const ran = await podman.run(['run', '--rm', '--network', 'host', '--read-only', 'localhost/probe:test', moto.endpoint])
      console.log(`  container run in ${Date.now() - t1} ms`)
      assert.is(ran.code, 0, ran.stderr)
      assert.match(ran.stdout, /^v24\.\d+\.\d+ 10001 200$/m)
    })
  }),
)

test.run()
