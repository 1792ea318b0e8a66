/**
 * SDK clients as the AWS CLI would make them: the standard credential chain (environment, SSO,
 * shared config and credentials files, container and instance roles), `--profile` / `--region`
 * over AWS_PROFILE / AWS_REGION, and AWS_ENDPOINT_URL(_RDS) for emulators, all resolved by the SDK
 * itself. Adaptive retries so that `Throttling` slows a run down instead of failing it.
 */
import { RDSClient } from '@aws-sdk/client-rds'
import * as TE from 'fp-ts/lib/TaskEither.js'
import type { RdsError } from '../interpret/port.js'
import { fromSdkError } from './errors.js'

export interface AwsOptions {
  readonly profile?: string | undefined
  readonly region?: string | undefined
}

/** Enough attempts that a throttling storm is waited out (adaptive mode also rate-limits itself). */
export const MAX_ATTEMPTS = 12

export interface ConnectedRds {
  readonly client: RDSClient
  readonly region: string
  readonly endpoint: string | undefined
}

export const connectRds = (opts: AwsOptions): TE.TaskEither<RdsError, ConnectedRds> =>
  TE.tryCatch(
    async () => {
      const client = new RDSClient({
        ...(opts.profile === undefined ? {} : { profile: opts.profile }),
        ...(opts.region === undefined ? {} : { region: opts.region }),
        retryMode: 'adaptive',
        maxAttempts: MAX_ATTEMPTS,
      })
      let region: string
      try {
        region = await client.config.region()
      } catch {
        region = ''
      }
      if (!region) {
        client.destroy()
        throw Object.assign(new Error('no AWS region: pass --region, set AWS_REGION, or set region in the profile'), { name: 'NoRegion' })
      }
      const endpoint = process.env['AWS_ENDPOINT_URL_RDS'] ?? process.env['AWS_ENDPOINT_URL']
      return { client, region, endpoint }
    },
    (e): RdsError =>
      (e as Error).name === 'NoRegion' ? { _tag: 'Configuration', message: (e as Error).message } : fromSdkError('connect', undefined)(e),
  )
