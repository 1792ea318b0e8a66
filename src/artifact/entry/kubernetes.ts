/**
 * `docker run IMAGE manifest kubernetes`: a Job (or, with --schedule, a CronJob that never runs two at
 * once) that runs this image's converge the way the image's exit codes ask: exit 2 (refused) and 3
 * (stale plan) fail the Job at once, since a retry cannot change them; anything else is retried up to
 * backoffLimit (a converge resumes), and a pod evicted or preempted is not counted. The pod runs as the
 * image's user, read-only, with nothing but /tmp to write; the password comes from a Secret, AWS
 * credentials from the service account (IRSA).
 *
 * The YAML is written here, not by a library: a small fixed shape, every string double-quoted (JSON's
 * string syntax is YAML's double-quoted scalar), so nothing in a name can change the structure. Pure.
 */
import type { ArtifactManifest, ConvergeMode } from '../contents.js'

/** What `manifest kubernetes` was asked for, and what the image knows. */
export interface KubernetesOptions {
  readonly manifest: ArtifactManifest
  readonly mode: ConvergeMode
  readonly steps: number
  /** The image reference to run: --image, else the tag the image was built with. */
  readonly image: string
  readonly imageGiven: boolean
  readonly schedule?: string | undefined
  readonly namespace?: string | undefined
  readonly serviceAccount?: string | undefined
  readonly secret?: string | undefined
  /** Whether the plan sets a master password (then the Secret is mounted as MITOSIS_DB_PASSWORD). */
  readonly needsPassword: boolean
}

/** Retries of a converge that failed for a reason a retry may fix (AWS erroring, a step failed): each resumes. */
export const BACKOFF_LIMIT = 3
/** The key in the Secret that holds the master password. */
export const SECRET_KEY = 'password'
export const CONTAINER = 'converge'
/** The exit codes that fail the Job at once (doc/artifact-design.md, "Exit codes"). */
export const DO_NOT_RETRY = [2, 3] as const

/** A cron schedule as Kubernetes takes it: five fields, or one of the @ shorthands. */
export const validSchedule = (s: string): boolean =>
  /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(s.trim()) || /^[0-9*/,\-A-Za-z?]+(\s+[0-9*/,\-A-Za-z?]+){4}$/.test(s.trim())

/**
 * A DNS-1123 label from `text`: lower-case letters, digits and '-', starting and ending with a letter or
 * digit, at most `max` characters (a CronJob's name is at most 52: its Jobs get an 11-character suffix).
 */
export const dnsLabel = (text: string, max = 63): string => {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+/, '')
  const cut = cleaned.slice(0, max).replace(/-+$/, '')
  return cut === '' ? 'mitosis' : /^[a-z]/.test(cut) ? cut : `m-${cut}`.slice(0, max).replace(/-+$/, '')
}

/** Whether an image reference names its image by digest (REF@sha256:…): the one way to run exactly the image that was reviewed. */
export const pinnedByDigest = (image: string): boolean => /@sha256:[0-9a-f]{64}$/.test(image)

// ---- YAML, the subset this file writes -----------------------------------------------------------

export type Yaml = string | number | boolean | ReadonlyArray<Yaml> | { readonly [key: string]: Yaml }

const isMap = (v: Yaml): v is { readonly [key: string]: Yaml } => typeof v === 'object' && !Array.isArray(v)
/** A double-quoted scalar: JSON's escapes, and every character past ASCII as \uXXXX (YAML 1.1 reads U+2028 and friends as line breaks). */
const quoted = (s: string): string => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
const scalar = (v: string | number | boolean): string => (typeof v === 'string' ? quoted(v) : String(v))
const key = (k: string): string => (/^[A-Za-z_][A-Za-z0-9_./-]*$/.test(k) ? k : quoted(k))

/** Block-style YAML lines of `v` at `indent` spaces; empty maps and lists as {} and []. */
const lines = (v: Yaml, indent: number): string[] => {
  const pad = ' '.repeat(indent)
  const inline = (x: Yaml): string | undefined =>
    Array.isArray(x) ? (x.length === 0 ? '[]' : undefined) : isMap(x) ? (Object.keys(x).length === 0 ? '{}' : undefined) : scalar(x as string | number | boolean)
  if (Array.isArray(v)) {
    return v.flatMap((item: Yaml) => {
      const one = inline(item)
      if (one !== undefined) return [`${pad}- ${one}`]
      const inner = lines(item, indent + 2)
      return [`${pad}- ${inner[0]!.slice(indent + 2)}`, ...inner.slice(1)]
    })
  }
  if (isMap(v)) {
    return Object.entries(v).flatMap(([k, x]) => {
      const one = inline(x)
      return one !== undefined ? [`${pad}${key(k)}: ${one}`] : [`${pad}${key(k)}:`, ...lines(x, indent + 2)]
    })
  }
  return [`${pad}${scalar(v as string | number | boolean)}`]
}

export const toYaml = (v: Yaml): string => `${lines(v, 0).join('\n')}\n`

// ---- the manifest --------------------------------------------------------------------------------

export const kubernetesManifest = (o: KubernetesOptions): string => {
  const m = o.manifest
  const cron = o.schedule !== undefined
  const name = dnsLabel(`mitosis-${m.target}-${o.mode}`, cron ? 52 : 63)
  const serviceAccount = o.serviceAccount ?? dnsLabel(`mitosis-${m.target}`)
  const secret = o.secret ?? dnsLabel(`mitosis-${m.target}-db-password`)
  const labels = { 'app.kubernetes.io/name': 'mitosis', 'app.kubernetes.io/component': 'converge', 'app.kubernetes.io/instance': dnsLabel(m.target) }
  const annotations = { 'io.mitosis/source': m.source, 'io.mitosis/target': m.target, 'io.mitosis/region': m.region, 'io.mitosis/plan-digest': m.planDigest, 'io.mitosis/mode': o.mode }
  const env: Yaml[] = [
    // the plan's region: the converge refuses any other
    { name: 'AWS_REGION', value: m.region },
    ...(o.needsPassword ? [{ name: 'MITOSIS_DB_PASSWORD', valueFrom: { secretKeyRef: { name: secret, key: SECRET_KEY } } }] : []),
  ]
  const pinned = pinnedByDigest(o.image)
  const podSpec: Yaml = {
    restartPolicy: 'Never',
    serviceAccountName: serviceAccount,
    securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: CONTAINER,
        image: o.image,
        imagePullPolicy: pinned ? 'IfNotPresent' : 'Always',
        // a schedule is a refresh each time: the first run applies the reviewed plan, later ones plan the same request again
        args: ['converge', '--mode', o.mode, ...(cron ? ['--replan'] : [])],
        env,
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'FallbackToLogsOnError',
        volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
      },
    ],
    volumes: [{ name: 'tmp', emptyDir: {} }],
  }
  const jobSpec: Yaml = {
    backoffLimit: BACKOFF_LIMIT,
    podFailurePolicy: {
      rules: [
        { action: 'FailJob', onExitCodes: { containerName: CONTAINER, operator: 'In', values: [...DO_NOT_RETRY] } },
        // evicted, preempted, drained: not the converge's failure, and not counted against backoffLimit
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
      ],
    },
    template: { metadata: { labels, annotations }, spec: podSpec },
  }
  const metadata: Yaml = { name, ...(o.namespace === undefined ? {} : { namespace: o.namespace }), labels, annotations }
  const doc: Yaml = cron
    ? { apiVersion: 'batch/v1', kind: 'CronJob', metadata, spec: { schedule: o.schedule!.trim(), concurrencyPolicy: 'Forbid', jobTemplate: { metadata: { labels, annotations }, spec: jobSpec } } }
    : { apiVersion: 'batch/v1', kind: 'Job', metadata, spec: jobSpec }

  const header = [
    `# mitosis artifact: converge --mode ${o.mode}, ${m.source} → ${m.target} in ${m.region} (${o.steps} steps)`,
    `# plan ${m.planDigest}, built by mitosis ${m.mitosis}`,
    pinned
      ? `# image ${o.image}: pinned by digest, so this runs exactly the image whose plan was reviewed.`
      : `# image ${o.image}: a tag${o.imageGiven ? '' : ' (the one the image was built with)'}, NOT pinned: a tag can be moved to another image.\n` +
        `#   Pin it by digest: push the image (docker push prints "digest: sha256:…"; or docker inspect --format\n` +
        `#   '{{index .RepoDigests 0}}' IMAGE after the push), then run manifest kubernetes --image REPO@sha256:<digest>.`,
    ...(cron
      ? [
          `# A scheduled refresh: converge --replan. The first run applies the reviewed plan; once it is done (or the`,
          `#   world has changed), each run plans the image's request again on the world as it is, prints what differs`,
          `#   from the reviewed plan, and applies that. For exactly the reviewed plan and nothing else, use the Job.`,
        ]
      : []),
    `# Before applying:`,
    ...(o.needsPassword ? [`#   kubectl create secret generic ${secret} --from-file=${SECRET_KEY}=./password.txt${o.namespace === undefined ? '' : ` -n ${o.namespace}`}`] : []),
    `#   a ServiceAccount ${serviceAccount} for IRSA: annotate it eks.amazonaws.com/role-arn with a role that has`,
    `#   the policy of: docker run IMAGE iam-policy --mode ${o.mode}`,
    `# Exit codes: 0 done; 1 failed (retried, up to backoffLimit: a converge resumes); 2 refused and 3 stale plan`,
    `#   (the Job fails at once: podFailurePolicy); 143 stopped by SIGTERM (resumes). The result is one line in`,
    `#   /dev/termination-log: kubectl get pod -l app.kubernetes.io/instance=${labels['app.kubernetes.io/instance']} -o jsonpath='{..terminated.message}'`,
  ]
  return `${header.join('\n')}\n${toYaml(doc)}`
}
