/**
 * Test bases made with our own writers (a docker-archive and an OCI layout, with a dummy usr/bin/node), and
 * fixtures/aurora.json with the source's subnet group described (a build resolves `subnet_ids = source` through it).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dockerArchive, imageOf, layerOf, ociArchive, writeOciDir, type Image } from '../../src/artifact/image/layout.js'
import { writeTar, type TarEntry } from '../../src/artifact/image/tar.js'
import { repoRoot } from '../support/fixtures.js'

const made: string[] = []
// the suite's temp dirs go when its process ends (uvu runs each suite file in this one process)
process.on('exit', () => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
})

export const tmp = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'mitosis-image-test-'))
  made.push(dir)
  return dir
}

/** fixtures/aurora.json, its source's subnet group prod-db-subnets with a subnet in each of `zones`, as JSON. */
export const auroraWithSubnets = (zones: ReadonlyArray<string> = ['us-east-1a', 'us-east-1b']): Record<string, unknown> => ({
  ...JSON.parse(readFileSync(`${repoRoot}fixtures/aurora.json`, 'utf8')),
  DBSubnetGroups: [
    {
      DBSubnetGroupName: 'prod-db-subnets',
      DBSubnetGroupDescription: 'prod',
      VpcId: 'vpc-0abc',
      SubnetGroupStatus: 'Complete',
      Subnets: zones.map((z, i) => ({ SubnetIdentifier: `subnet-${i}`, SubnetAvailabilityZone: { Name: z }, SubnetStatus: 'Active' })),
      TagList: [],
    },
  ],
})

/** auroraWithSubnets(zones) written as a fixture file (for --simulate). */
export const auroraFixture = (zones?: ReadonlyArray<string>, dir: string = tmp()): string => {
  const path = join(dir, `aurora-subnets-${(zones ?? ['us-east-1a', 'us-east-1b']).join('-')}.json`)
  writeFileSync(path, JSON.stringify(auroraWithSubnets(zones)))
  return path
}

export const baseImage = (files: ReadonlyArray<TarEntry> = defaultBaseFiles, env: ReadonlyArray<string> = ['PATH=/usr/local/bin:/usr/bin:/bin']): Image => {
  const layers = [layerOf(writeTar(files, 0)), layerOf(writeTar([{ type: 'file', path: 'etc/os-release', data: Buffer.from('ID=test\n') }], 0))]
  return imageOf(
    {
      architecture: 'amd64',
      os: 'linux',
      config: { Env: [...env] },
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
