import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { chmodSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bundleProgram, liquibaseEntries } from '../../src/artifact/bundle.js'
import { repoRoot } from '../support/fixtures.js'
import { tmp } from './image-support.js'

test('bundle: one ES module that runs on its own, CommonJS dependencies included (createRequire banner)', async () => {
  const dir = tmp()
  const entry = join(dir, 'entry.mjs')
  // ini is CommonJS: the bundle must carry it and its require()s
  writeFileSync(entry, `import { parse } from '${join(repoRoot, 'node_modules/ini/lib/ini.js')}'\nconsole.log(JSON.stringify(parse('[a]\\nb = 1\\n')))\n`)
  const bytes = await bundleProgram(entry)
  const out = join(dir, 'mitosis.mjs')
  writeFileSync(out, bytes)
  const r = spawnSync(process.execPath, [out], { encoding: 'utf8', cwd: '/' })
  assert.is(r.status, 0, r.stderr)
  assert.is(r.stdout.trim(), '{"a":{"b":"1"}}')
  assert.ok((await bundleProgram(entry)).equals(bytes), 'the same bytes twice')
})

test('liquibase: internal/, lib/, LICENSE.txt, licenses/ under the image path, executable bits kept', () => {
  const dist = join(repoRoot, 'node_modules/liquibase/dist/liquibase')
  const entries = liquibaseEntries(dist, 'mitosis/liquibase')
  const tops = new Set(entries.map((e) => e.path.split('/')[2]))
  assert.equal([...tops].sort(), ['LICENSE.txt', 'internal', 'lib', 'licenses'])
  for (const e of entries) {
    if (e.type !== 'file') continue
    const onDisk = (lstatSync(join(dist, e.path.slice('mitosis/liquibase/'.length))).mode & 0o111) !== 0
    assert.is(e.executable === true, onDisk, e.path)
  }
  assert.throws(() => liquibaseEntries(tmp(), 'mitosis/liquibase'), /lacks internal, lib, LICENSE.txt, licenses/)
})

test('liquibase: a made distribution keeps its executable and its symlink', () => {
  const dist = tmp()
  for (const d of ['internal/bin', 'lib', 'licenses']) mkdirSync(join(dist, d), { recursive: true })
  writeFileSync(join(dist, 'LICENSE.txt'), 'license')
  writeFileSync(join(dist, 'internal/bin/liquibase'), '#!/bin/sh\n')
  chmodSync(join(dist, 'internal/bin/liquibase'), 0o755)
  writeFileSync(join(dist, 'lib/a.jar'), 'jar')
  symlinkSync('a.jar', join(dist, 'lib/current.jar'))
  const entries = liquibaseEntries(dist, 'mitosis/liquibase')
  const at = (p: string) => entries.find((e) => e.path === p)
  assert.equal(at('mitosis/liquibase/internal/bin/liquibase'), { type: 'file', path: 'mitosis/liquibase/internal/bin/liquibase', data: Buffer.from('#!/bin/sh\n'), executable: true })
  assert.is((at('mitosis/liquibase/lib/a.jar') as { executable?: boolean }).executable, false)
  assert.equal(at('mitosis/liquibase/lib/current.jar'), { type: 'symlink', path: 'mitosis/liquibase/lib/current.jar', target: 'a.jar' })
})

test.run()
