/**
 * Reading a base image without a daemon's help: `docker-archive:PATH` (docker save's output, the legacy
 * manifest.json and, from Docker 25 on, an OCI layout inside the same tar), `oci-archive:PATH`, `oci:DIR`,
 * or an image name, which `docker save` (or `podman save --format docker-archive`) writes to a temp file
 * first. What comes back is what the build needs: the config, the layers with their diff_ids, the name,
 * and the manifest digest when the source has one (labels base.name / base.digest).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '../contents.js'
import { isGzip } from './gzip.js'
import { MEDIA, type Layer } from './layout.js'
import { readTar } from './tar.js'

export type Engine = 'docker' | 'podman'

export interface BaseImage {
  readonly name: string
  /** The manifest digest, when the source had a manifest (an OCI layout); else absent. */
  readonly digest?: string
  readonly config: ImageConfigJson
  readonly layers: ReadonlyArray<Layer>
}

/** The parts of an image config the build reads (the rest is kept as it is). */
export interface ImageConfigJson {
  readonly architecture?: string
  readonly os?: string
  readonly config?: { readonly Env?: ReadonlyArray<string>; readonly [key: string]: unknown }
  readonly rootfs?: { readonly type: string; readonly diff_ids: ReadonlyArray<string> }
  readonly history?: ReadonlyArray<Record<string, unknown>>
  readonly [key: string]: unknown
}

export class BaseImageError extends Error {}

/** A file source: the files of an OCI layout or docker archive, by path. */
type Files = (path: string) => Buffer | undefined

const parse = (what: string, bytes: Buffer | undefined, ref: string): any => {
  if (bytes === undefined) throw new BaseImageError(`base image ${ref} is not an image (no ${what})`)
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new BaseImageError(`base image ${ref} is not an image (${what} is not JSON)`)
  }
}

const normalizeLayerType = (mediaType: string): string =>
  mediaType === MEDIA.dockerLayer ? MEDIA.layerGzip : mediaType === 'application/vnd.docker.image.rootfs.diff.tar' ? MEDIA.layerTar : mediaType

const blobOf = (files: Files, digest: string, ref: string): Buffer => {
  const bytes = files(`blobs/sha256/${digest.replace(/^sha256:/, '')}`)
  if (bytes === undefined) throw new BaseImageError(`base image ${ref} is not an image (blob ${digest} is missing)`)
  return bytes
}

/** A manifest (or index, picking linux/amd64) in an OCI layout. */
const fromOciLayout = (files: Files, ref: string, name: string | undefined): BaseImage => {
  const index = parse('index.json', files('index.json'), ref)
  let descriptors: any[] = index.manifests ?? []
  let chosenName: string | undefined = name ?? descriptors[0]?.annotations?.['org.opencontainers.image.ref.name']
  for (let depth = 0; depth < 4; depth++) {
    const d = descriptors.length === 1 ? descriptors[0] : descriptors.find((m) => m.platform?.os === 'linux' && m.platform?.architecture === 'amd64')
    if (d === undefined) throw new BaseImageError(`base image ${ref} is a multi-arch index without linux/amd64`)
    const body = parse(`blob ${d.digest}`, blobOf(files, d.digest, ref), ref)
    if (d.mediaType === MEDIA.index || d.mediaType === MEDIA.dockerList || Array.isArray(body.manifests)) {
      descriptors = body.manifests ?? []
      continue
    }
    const config = parse(`config ${body.config?.digest}`, blobOf(files, body.config.digest, ref), ref) as ImageConfigJson
    const diffIds = config.rootfs?.diff_ids ?? []
    const layerDescs: any[] = body.layers ?? []
    if (diffIds.length !== layerDescs.length) throw new BaseImageError(`base image ${ref} is not an image (${layerDescs.length} layers, ${diffIds.length} diff_ids)`)
    const layers = layerDescs.map((l, i): Layer => ({ mediaType: normalizeLayerType(l.mediaType), digest: l.digest, size: l.size, diffId: diffIds[i]!, blob: blobOf(files, l.digest, ref) }))
    return { name: chosenName ?? ref, digest: d.digest, config, layers }
  }
  throw new BaseImageError(`base image ${ref} is not an image (indexes nested too deep)`)
}

/** docker save's legacy manifest.json (layers are uncompressed tars; Docker 25+ points them into blobs/). */
const fromDockerManifest = (files: Files, ref: string): BaseImage => {
  const manifest = parse('manifest.json', files('manifest.json'), ref)
  if (!Array.isArray(manifest) || manifest.length === 0) throw new BaseImageError(`base image ${ref} is not an image (manifest.json lists no image)`)
  if (manifest.length > 1) throw new BaseImageError(`base image ${ref} holds ${manifest.length} images; save just one`)
  const entry = manifest[0]
  const config = parse(`config ${entry.Config}`, files(entry.Config), ref) as ImageConfigJson
  const diffIds = config.rootfs?.diff_ids ?? []
  const paths: string[] = entry.Layers ?? []
  if (diffIds.length !== paths.length) throw new BaseImageError(`base image ${ref} is not an image (${paths.length} layers, ${diffIds.length} diff_ids)`)
  const layers = paths.map((path, i): Layer => {
    const blob = files(path)
    if (blob === undefined) throw new BaseImageError(`base image ${ref} is not an image (layer ${path} is missing)`)
    // kept as they are: an uncompressed layer is a valid OCI layer, and recompressing a base costs time
    return { mediaType: isGzip(blob) ? MEDIA.layerGzip : MEDIA.layerTar, digest: sha256(blob), size: blob.length, diffId: diffIds[i]!, blob }
  })
  const oci = files('index.json') !== undefined ? safeDigest(files, ref) : undefined
  return { name: entry.RepoTags?.[0] ?? ref, ...(oci === undefined ? {} : { digest: oci }), config, layers }
}

const safeDigest = (files: Files, ref: string): string | undefined => {
  try {
    return fromOciLayout(files, ref, undefined).digest
  } catch {
    return undefined
  }
}

const tarFiles = (path: string, ref: string): Files => {
  if (!existsSync(path)) throw new BaseImageError(`base image ${ref}: no such file ${path}`)
  const map = new Map<string, Buffer>()
  for (const e of readTar(readFileSync(path))) if (e.type === 'file') map.set(e.path, Buffer.from(e.data))
  if (map.size === 0) throw new BaseImageError(`base image ${ref} is not an image (not a tar, or an empty one)`)
  return (p) => map.get(p.replace(/^\.\//, ''))
}

const dirFiles = (dir: string, ref: string): Files => {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BaseImageError(`base image ${ref}: no such directory ${dir}`)
  return (p) => {
    const path = join(dir, p)
    return existsSync(path) && statSync(path).isFile() ? readFileSync(path) : undefined
  }
}

/** Runs `docker save NAME` (or podman's) into a temp file; the engine's own env (DOCKER_HOST…) passes through. */
const saveWithEngine = (name: string, engine: Engine): BaseImage => {
  const dir = mkdtempSync(join(tmpdir(), 'mitosis-base-'))
  try {
    const out = join(dir, 'base.tar')
    const args = engine === 'podman' ? ['save', '--format', 'docker-archive', '-o', out, name] : ['save', '-o', out, name]
    const run = spawnSync(engine, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
    if (run.error !== undefined) throw new BaseImageError(`base image ${name}: cannot run ${engine} (${run.error.message}); give the base as oci-archive:PATH, oci:DIR or docker-archive:PATH`)
    if (run.status !== 0) throw new BaseImageError(`base image ${name}: ${engine} save failed: ${(run.stderr ?? '').trim().split('\n').pop() ?? ''}`)
    const files = tarFiles(out, name)
    return files('manifest.json') !== undefined ? { ...fromDockerManifest(files, name), name } : fromOciLayout(files, name, name)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Reads the base image a reference names. */
export const readBaseImage = (ref: string, engine: Engine = 'docker'): BaseImage => {
  const colon = ref.indexOf(':')
  const scheme = colon > 0 ? ref.slice(0, colon) : ''
  const rest = ref.slice(colon + 1)
  switch (scheme) {
    case 'docker-archive': {
      const files = tarFiles(rest, ref)
      if (files('manifest.json') !== undefined) return fromDockerManifest(files, ref)
      if (files('index.json') !== undefined) return fromOciLayout(files, ref, undefined)
      throw new BaseImageError(`base image ${ref} is not an image (no manifest.json or index.json)`)
    }
    case 'oci-archive':
      return fromOciLayout(tarFiles(rest, ref), ref, undefined)
    case 'oci':
      return fromOciLayout(dirFiles(rest, ref), ref, undefined)
    default:
      return saveWithEngine(ref, engine)
  }
}
