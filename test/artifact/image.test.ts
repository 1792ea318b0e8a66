import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sha256 } from '../../src/artifact/contents.js'
import { assembleImage, rfc3339, type ImageSpec } from '../../src/artifact/image/assemble.js'
import { readBaseImage, BaseImageError } from '../../src/artifact/image/base.js'
import { gunzip } from '../../src/artifact/image/gzip.js'
import { dockerArchive, ociArchive, ociLayoutEntries, MEDIA } from '../../src/artifact/image/layout.js'
import { loadedId } from '../../src/artifact/image/load.js'
import { findNode, NoNodeError } from '../../src/artifact/image/node.js'
import { readTar, writeTar } from '../../src/artifact/image/tar.js'
import { stderrProgress } from '../../src/artifact/image/progress.js'
import { layerOf } from '../../src/artifact/image/layout.js'
import { baseImage, tmp, writeBases } from './image-support.js'

test('tar: sorted, parents once, owners 0, mtime = epoch, modes', () => {
  const tar = writeTar(
    [
      { type: 'file', path: 'b/z.txt', data: Buffer.from('z') },
      { type: 'file', path: 'a/run', data: Buffer.from('x'), executable: true },
      { type: 'symlink', path: 'a/link', target: 'run' },
      { type: 'file', path: '/b/y.txt', data: Buffer.from('y') },
    ],
    1234,
  )
  const entries = readTar(tar)
  assert.equal(entries.map((e) => e.path), ['a', 'a/link', 'a/run', 'b', 'b/y.txt', 'b/z.txt'])
  for (const e of entries) {
    assert.is(e.uid, 0)
    assert.is(e.gid, 0)
    assert.is(e.uname, '')
    assert.is(e.gname, '')
    assert.is(e.mtime, 1234)
  }
  const mode = (p: string): number => entries.find((e) => e.path === p)!.mode
  assert.is(mode('a'), 0o755)
  assert.is(mode('a/run'), 0o755)
  assert.is(mode('b/y.txt'), 0o644)
  assert.equal(entries.find((e) => e.path === 'a/link'), { ...entries.find((e) => e.path === 'a/link')!, type: 'symlink', target: 'run' })
  assert.is(tar.length % 512, 0)
})

test('tar: the system tar reads ours, long paths through the ustar prefix and through PAX', () => {
  const prefixed = `${'d'.repeat(90)}/${'e'.repeat(60)}/file.txt` // > 100 bytes, fits prefix + name
  const pax = `${'p'.repeat(200)}/${'q'.repeat(120)}` // a name part over 100: only PAX will do
  const tar = writeTar([{ type: 'file', path: prefixed, data: Buffer.from('1') }, { type: 'file', path: pax, data: Buffer.from('2') }], 1)
  const back = readTar(tar).filter((e) => e.type === 'file')
  assert.equal(back.map((e) => e.path).sort(), [prefixed, pax].sort())
  assert.ok(!tar.includes(Buffer.from('PaxHeaders')), 'no pid-named PAX header')
  const dir = tmp()
  writeFileSync(join(dir, 't.tar'), tar)
  const list = spawnSync('tar', ['-tf', join(dir, 't.tar')], { encoding: 'utf8' })
  if (list.error === undefined) {
    assert.is(list.status, 0, list.stderr)
    assert.ok(list.stdout.split('\n').includes(prefixed))
    assert.ok(list.stdout.split('\n').includes(pax))
  }
})

test('tar: the same path twice is refused', () => {
  assert.throws(() => writeTar([{ type: 'file', path: 'a', data: Buffer.alloc(0) }, { type: 'file', path: './a', data: Buffer.alloc(1) }], 1), /a given twice/)
})

test('gzip: the header carries no time', () => {
  const img = baseImage()
  const blob = img.layers[0]!.blob
  assert.is(blob.readUInt32LE(4), 0)
  assert.is(sha256(gunzip(blob)), img.layers[0]!.diffId)
})

test('base: each format reads back the same config and diff_ids, with name and digest', () => {
  const image = baseImage()
  const refs = writeBases(image)
  for (const ref of [refs.dockerArchive, refs.ociArchive, refs.ociDir]) {
    const base = readBaseImage(ref)
    assert.equal(base.layers.map((l) => l.diffId), JSON.parse(image.config.toString()).rootfs.diff_ids, ref)
    assert.is(base.config.architecture, 'amd64')
  }
  assert.is(readBaseImage(refs.dockerArchive).name, 'test/node-base:1')
  assert.is(readBaseImage(refs.ociArchive).name, 'test/node-base:1')
  assert.is(readBaseImage(refs.ociArchive).digest, image.manifestDigest)
})

test('base: clear one-line errors', () => {
  const dir = tmp()
  assert.throws(() => readBaseImage(`oci-archive:${join(dir, 'nope.tar')}`), (e: Error) => e instanceof BaseImageError && /no such file/.test(e.message))
  writeFileSync(join(dir, 'junk.tar'), writeTar([{ type: 'file', path: 'hello.txt', data: Buffer.from('hi') }], 1))
  assert.throws(() => readBaseImage(`docker-archive:${join(dir, 'junk.tar')}`), (e: Error) => /is not an image/.test(e.message) && !e.message.includes('\n'))
  assert.throws(() => readBaseImage(`oci:${join(dir, 'none')}`), /no such directory/)
})

test("base: Docker 25's docker save (manifest.json pointing into an OCI layout's blobs) gives the manifest digest too", () => {
  const image = baseImage()
  const hex = (d: string) => d.replace('sha256:', '')
  const legacy = { type: 'file' as const, path: 'manifest.json', data: Buffer.from(JSON.stringify([{ Config: `blobs/sha256/${hex(image.configDigest)}`, RepoTags: ['node:22'], Layers: image.layers.map((l) => `blobs/sha256/${hex(l.digest)}`) }])) }
  const path = join(tmp(), 'docker25.tar')
  writeFileSync(path, writeTar([...ociLayoutEntries(image, 'docker.io/library/node:22'), legacy], 1))
  const base = readBaseImage(`docker-archive:${path}`)
  assert.is(base.name, 'node:22')
  assert.is(base.digest, image.manifestDigest)
  assert.equal(base.layers.map((l) => l.diffId), image.layers.map((l) => l.diffId))
})

test('base: a multi-arch index without linux/amd64 is refused in one line', () => {
  const image = baseImage()
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests: [
    { mediaType: MEDIA.manifest, digest: image.manifestDigest, size: image.manifest.length, platform: { os: 'linux', architecture: 'arm64' } },
    { mediaType: MEDIA.manifest, digest: image.manifestDigest, size: image.manifest.length, platform: { os: 'linux', architecture: 's390x' } },
  ] }))
  const entries = ociLayoutEntries(image, 'x:1').map((e) => (e.path === 'index.json' && e.type === 'file' ? { ...e, data: index } : e))
  const path = join(tmp(), 'multi.tar')
  writeFileSync(path, writeTar(entries, 1))
  assert.throws(() => readBaseImage(`oci-archive:${path}`), /is a multi-arch index without linux\/amd64/)
})

test('node: found through usr/bin, via symlinks, or refused', () => {
  const base = readBaseImage(writeBases().ociDir)
  assert.is(findNode(base.layers, base.name), '/usr/bin/node')
  const linked = readBaseImage(
    writeBases(baseImage([
      { type: 'file', path: 'opt/node-v22/bin/node', data: Buffer.from('x'), executable: true },
      { type: 'symlink', path: 'usr/local/bin/node', target: '/opt/node-v22/bin/node' },
    ])).ociDir,
  )
  assert.is(findNode(linked.layers, 'x'), '/usr/local/bin/node')
  const dangling = readBaseImage(writeBases(baseImage([{ type: 'symlink', path: 'usr/bin/node', target: '/nowhere' }])).ociDir)
  assert.throws(() => findNode(dangling.layers, 'base:1'), (e: Error) => e instanceof NoNodeError && /base image base:1 has no node \(looked in \/usr\/local\/bin\/node, \/usr\/bin\/node, \/nodejs\/bin\/node\); use a base with Node.js 22 or later/.test(e.message))
})

const spec = (epoch: number): ImageSpec => {
  const base = readBaseImage(writeBases().dockerArchive)
  return {
    base,
    layers: [
      { entries: [{ type: 'file', path: 'mitosis/mitosis.mjs', data: Buffer.from('console.log(1)\n') }], createdBy: 'mitosis: program' },
      { entries: [{ type: 'file', path: 'mitosis/plans.json', data: Buffer.from('{}\n') }], createdBy: 'mitosis: plans' },
    ],
    entrypoint: [findNode(base.layers, base.name), '/mitosis/mitosis.mjs'],
    cmd: ['plan'],
    workingDir: '/mitosis',
    labels: { 'org.opencontainers.image.created': rfc3339(epoch) },
    epoch,
  }
}

test('assemble: same inputs, same image ID and byte-identical archives; another epoch, another ID', () => {
  const a = assembleImage(spec(1))
  const b = assembleImage(spec(1))
  assert.is(a.configDigest, b.configDigest)
  assert.ok(ociArchive(a, 'db-artifact:latest', 1).equals(ociArchive(b, 'db-artifact:latest', 1)))
  assert.ok(dockerArchive(a, 'db-artifact:latest', 1).equals(dockerArchive(b, 'db-artifact:latest', 1)))
  const c = assembleImage(spec(1700000000))
  assert.not.equal(c.configDigest, a.configDigest)
  const config = JSON.parse(a.config.toString())
  assert.is(config.created, '1970-01-01T00:00:01Z')
  assert.equal(config.config.Entrypoint, ['/usr/bin/node', '/mitosis/mitosis.mjs'])
  assert.is(config.config.User, '10001:10001')
  assert.ok(config.config.Env.includes('HOME=/tmp'))
  assert.is(config.rootfs.diff_ids.length, 4)
  assert.is(config.history.length, 4)
  for (const layer of c.layers.slice(2)) for (const e of readTar(gunzip(layer.blob))) assert.is(e.mtime, 1700000000)
})

test('progress: on a terminal each phase as it begins, each layer with its size, files, digest and time, then the total; in a log only the layers and the total', () => {
  const layer = layerOf(writeTar([{ type: 'file', path: 'mitosis/plans.json', data: Buffer.from('{}') }], 1))
  const drive = (terminal: boolean): string[] => {
    const lines: string[] = []
    let t = 0
    const p = stderrProgress((l) => lines.push(l), () => (t += 500), terminal)
    p.step('reading the base image node:22-bookworm-slim')
    p.step('writing layer plans (1 file)')
    p.layer(layer, 'plans', 1)
    p.done('loaded db-artifact:latest')
    return lines
  }
  const layerLine = `layer plans: ${layer.size} B, 1 file, ${layer.digest} (0.5 s)\n`
  assert.equal(drive(true), ['… reading the base image node:22-bookworm-slim\n', '… writing layer plans (1 file)\n', layerLine, 'loaded db-artifact:latest in 2.0 s\n'])
  assert.equal(drive(false), [layerLine, 'loaded db-artifact:latest in 2.0 s\n'])
})

test('load: the image ID in docker/podman load output', () => {
  const id = `sha256:${'a'.repeat(64)}`
  assert.is(loadedId(`Loaded image ID: ${id}\n`), id)
  assert.is(loadedId(`Loaded image: ${id}\n`), id)
  assert.is(loadedId('Loaded image: db-artifact:latest\n'), undefined)
})

test.run()
