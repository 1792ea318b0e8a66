/**
 * Where a built artifact goes: an OCI layout directory, an oci-archive or docker-archive file, the local
 * engine (docker load), or a Dockerfile build context with the same files (for Kaniko or buildah).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { BuiltArtifact } from './build.js'
import { ARTIFACT_DIR } from './contents.js'
import { ARTIFACT_USER } from './image/assemble.js'
import type { Engine } from './image/base.js'
import { dockerArchive, ociArchive, writeOciDir } from './image/layout.js'
import { loadImage } from './image/load.js'

export type OutputType = 'oci-archive' | 'oci-dir' | 'docker-archive'
export const OUTPUT_TYPES: ReadonlyArray<OutputType> = ['oci-archive', 'oci-dir', 'docker-archive']

/** A tag as loaders want it: name:tag (a bare name gets :latest). */
export const fullReference = (tag: string): string => (/:[^/]+$/.test(tag) || tag.includes('@') ? tag : `${tag}:latest`)

export const writeOutput = (built: BuiltArtifact, type: OutputType, path: string, epoch: number): void => {
  const ref = fullReference(built.tag)
  if (type === 'oci-dir') return writeOciDir(built.image, ref, path)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, type === 'oci-archive' ? ociArchive(built.image, ref, epoch) : dockerArchive(built.image, ref, epoch))
}

export const loadIntoEngine = (built: BuiltArtifact, engine: Engine, epoch: number): Promise<string> =>
  loadImage(dockerArchive(built.image, fullReference(built.tag), epoch), engine, built.image.configDigest)

const quote = (s: string): string => JSON.stringify(s)

/** A Dockerfile context: layer1/ and layer2/ hold the trees of the two layers the build adds. */
export const writeContext = (built: BuiltArtifact, dir: string): void => {
  const layerDirs = built.layers.map((_, i) => `layer${i + 1}`)
  built.layers.forEach((entries, i) => {
    for (const e of entries) {
      const path = join(dir, layerDirs[i]!, e.path)
      if (e.type === 'dir') mkdirSync(path, { recursive: true })
      else if (e.type === 'file') {
        mkdirSync(dirname(path), { recursive: true })
        writeFileSync(path, e.data, { mode: e.executable === true ? 0o755 : 0o644 })
      }
    }
  })
  // a base read from a file or a layout is named by the name it carries: a FROM takes no path (Kaniko none at all)
  const fromFile = /^(docker-archive|oci-archive|oci):/.test(built.baseRef)
  const lines = [
    `# mitosis artifact build --context-only: the same files as the image (base ${built.base.name}${built.base.digest === undefined ? '' : `, ${built.base.digest}`})`,
    ...(fromFile ? [`# the base was read from ${built.baseRef}: load or push it as ${built.base.name} before building`] : []),
    `FROM ${fromFile ? built.base.name : built.baseRef}`,
    ...layerDirs.map((d) => `COPY ${d}/ /`),
    `USER ${ARTIFACT_USER}`,
    `WORKDIR ${ARTIFACT_DIR}`,
    `ENTRYPOINT [${[built.nodePath, `${ARTIFACT_DIR}/mitosis.mjs`].map(quote).join(', ')}]`,
    'CMD ["plan"]',
    ...Object.entries(built.labels).map(([k, v]) => `LABEL ${k}=${quote(v)}`),
  ]
  writeFileSync(join(dir, 'Dockerfile'), `${lines.join('\n')}\n`)
}
