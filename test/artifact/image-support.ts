/** Test bases made with our own writers: a docker-archive and an OCI layout, with a dummy usr/bin/node. */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dockerArchive, imageOf, layerOf, ociArchive, writeOciDir, type Image } from '../../src/artifact/image/layout.js'
import { writeTar, type TarEntry } from '../../src/artifact/image/tar.js'

export const tmp = (): string => mkdtempSync(join(tmpdir(), 'mitosis-image-test-'))

export const baseImage = (files: ReadonlyArray<TarEntry> = defaultBaseFiles): Image => {
  const layers = [layerOf(writeTar(files, 0)), layerOf(writeTar([{ type: 'file', path: 'etc/os-release', data: Buffer.from('ID=test\n') }], 0))]
  return imageOf(
    {
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/local/bin:/usr/bin:/bin'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: [{ created_by: 'test base 1' }, { created_by: 'test base 2' }],
    },
    layers,
  )
}

export const defaultBaseFiles: ReadonlyArray<TarEntry> = [
  { type: 'file', path: 'usr/bin/node', data: Buffer.from('#!/bin/false\n'), executable: true },
  { type: 'symlink', path: 'usr/local/bin/nodejs', target: '../../bin/node' },
]

/** Writes a base in each format; gives back the refs. */
export const writeBases = (image: Image = baseImage()): { dockerArchive: string; ociArchive: string; ociDir: string } => {
  const dir = tmp()
  writeFileSync(join(dir, 'base-docker.tar'), dockerArchive(image, 'test/node-base:1', 0))
  writeFileSync(join(dir, 'base-oci.tar'), ociArchive(image, 'test/node-base:1', 0))
  writeOciDir(image, 'test/node-base:1', join(dir, 'base-oci'))
  return { dockerArchive: `docker-archive:${join(dir, 'base-docker.tar')}`, ociArchive: `oci-archive:${join(dir, 'base-oci.tar')}`, ociDir: `oci:${join(dir, 'base-oci')}` }
}
