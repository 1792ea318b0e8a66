/**
 * An image as bytes (config, manifest, layers) and the three ways of writing it out: an OCI image layout
 * directory, that layout as a tar (oci-archive), and docker save's format (docker-archive: manifest.json with
 * RepoTags, the config, and the layers uncompressed), which both `docker load` and `podman load` take.
 * Every archive is written with our deterministic tar, so the same image gives the same file.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { sha256 } from '../contents.js'
import { gunzip, gzipLayer, isGzip } from './gzip.js'
import { writeTar, type TarEntry } from './tar.js'

export const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const

/** One layer: its uncompressed tar (the diff_id is its digest) and the blob that is stored (usually gzip). */
export interface Layer {
  readonly mediaType: string
  readonly digest: string
  readonly size: number
  readonly diffId: string
  readonly blob: Buffer
}

/** A layer from its uncompressed tar, gzipped at the fixed level. */
export const layerOf = (tar: Buffer): Layer => {
  const blob = gzipLayer(tar)
  return { mediaType: MEDIA.layerGzip, digest: sha256(blob), size: blob.length, diffId: sha256(tar), blob }
}

/** The uncompressed tar of a layer (docker-archive stores these). */
export const layerTar = (layer: Layer): Buffer => (isGzip(layer.blob) ? gunzip(layer.blob) : layer.blob)

export interface Image {
  readonly config: Buffer
  /** sha256 of the config bytes: the image ID. */
  readonly configDigest: string
  readonly manifest: Buffer
  readonly manifestDigest: string
  readonly layers: ReadonlyArray<Layer>
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value))

/** The OCI manifest over a config and layers. */
export const imageOf = (config: unknown, layers: ReadonlyArray<Layer>, annotations?: Record<string, string>): Image => {
  const configBytes = json(config)
  const configDigest = sha256(configBytes)
  const manifest = json({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, digest: configDigest, size: configBytes.length },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    ...(annotations === undefined ? {} : { annotations }),
  })
  return { config: configBytes, configDigest, manifest, manifestDigest: sha256(manifest), layers }
}

const hex = (digest: string): string => digest.replace(/^sha256:/, '')
const blobPath = (digest: string): string => `blobs/sha256/${hex(digest)}`

/** The files of an OCI image layout; index.json names the image by its full reference (name:tag). */
export const ociLayoutEntries = (image: Image, refName: string): TarEntry[] => {
  const index = json({
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [{ mediaType: MEDIA.manifest, digest: image.manifestDigest, size: image.manifest.length, annotations: { 'org.opencontainers.image.ref.name': refName } }],
  })
  const blobs = new Map<string, Buffer>([[image.configDigest, image.config], [image.manifestDigest, image.manifest]])
  for (const layer of image.layers) blobs.set(layer.digest, layer.blob)
  return [
    { type: 'file', path: 'oci-layout', data: json({ imageLayoutVersion: '1.0.0' }) },
    { type: 'file', path: 'index.json', data: index },
    ...[...blobs].map(([digest, data]): TarEntry => ({ type: 'file', path: blobPath(digest), data })),
  ]
}

export const writeOciDir = (image: Image, refName: string, dir: string): void => {
  for (const entry of ociLayoutEntries(image, refName)) {
    if (entry.type !== 'file') continue
    const path = join(dir, entry.path)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, entry.data)
  }
}

export const ociArchive = (image: Image, refName: string, epoch: number): Buffer => writeTar(ociLayoutEntries(image, refName), epoch)

/** docker save's format: manifest.json (Config, RepoTags, Layers), the config, and each layer's uncompressed tar. */
export const dockerArchive = (image: Image, repoTag: string, epoch: number): Buffer => {
  const layers = image.layers.map((l) => ({ path: `${hex(l.diffId)}/layer.tar`, tar: layerTar(l) }))
  const manifest = json([{ Config: `${hex(image.configDigest)}.json`, RepoTags: [repoTag], Layers: layers.map((l) => l.path) }])
  const entries: TarEntry[] = [
    { type: 'file', path: 'manifest.json', data: manifest },
    { type: 'file', path: `${hex(image.configDigest)}.json`, data: image.config },
  ]
  const seen = new Set<string>()
  for (const l of layers) if (!seen.has(l.path)) { seen.add(l.path); entries.push({ type: 'file', path: l.path, data: l.tar }) }
  return writeTar(entries, epoch)
}
