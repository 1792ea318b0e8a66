/**
 * SDK clients as the AWS CLI would make them: the standard credential chain (environment, SSO,
 * shared config and credentials files, container and instance roles), `--profile` / `--region`
 * over AWS_PROFILE / AWS_REGION, and AWS_ENDPOINT_URL(_RDS) for emulators, all resolved by the SDK
 * itself. Adaptive retries so that `Throttling` slows a run down instead of failing it.
 */
import { RDSClient } from '@aws-sdk/client-rds'
import { RAMClient } from '@aws-sdk/client-ram'
import { AdaptiveRetryStrategy } from '@smithy/core/retry'
import type { AwsCredentialIdentityProvider, RetryErrorInfo, RetryStrategyV2, RetryToken, StandardRetryToken } from '@smithy/types'
import * as TE from 'fp-ts/lib/TaskEither.js'
import type { RdsError } from '../interpret/capabilities.js'
import { fromSdkError } from './errors.js'

export interface AwsOptions {
  readonly profile?: string | undefined
  readonly region?: string | undefined
  /** Credentials other than the standard chain's (e.g. MFA-assumed ones from --credentials). */
  readonly credentials?: AwsCredentialIdentityProvider | undefined
}

/** Enough attempts that a throttling storm is waited out (adaptive mode also rate-limits itself). */
export const MAX_ATTEMPTS = 12

/** Other transient failures (a refused connection, a 5xx) are retried this often, then reported. */
export const MAX_OTHER_ATTEMPTS = 3

/**
 * The SDK's adaptive strategy (client-side rate limiting, backoff), patient with throttling and
 * brief with everything else: an unreachable endpoint is said in seconds, not after a minute.
 */
export class ThrottlingPatientRetry implements RetryStrategyV2 {
  private readonly adaptive = new AdaptiveRetryStrategy(async () => MAX_ATTEMPTS)
  acquireInitialRetryToken(scope: string): Promise<RetryToken> {
    return this.adaptive.acquireInitialRetryToken(scope)
  }
  async refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    if (info.errorType !== 'THROTTLING' && token.getRetryCount() + 1 >= MAX_OTHER_ATTEMPTS) {
      throw new Error(`giving up after ${MAX_OTHER_ATTEMPTS} attempts`)
    }
    return this.adaptive.refreshRetryTokenForRetry(token as StandardRetryToken, info)
  }
  recordSuccess(token: RetryToken): void {
    this.adaptive.recordSuccess(token as StandardRetryToken)
  }
}

export interface ConnectedRds {
  readonly client: RDSClient
  /** AWS RAM, asked only whether the target cluster is shared with other accounts. */
  readonly ram: RAMClient
  readonly region: string
  readonly endpoint: string | undefined
}

export const connectRds = (opts: AwsOptions): TE.TaskEither<RdsError, ConnectedRds> =>
  TE.tryCatch(
    async () => {
      const config = {
        ...(opts.profile === undefined ? {} : { profile: opts.profile }),
        ...(opts.region === undefined ? {} : { region: opts.region }),
        ...(opts.credentials === undefined ? {} : { credentials: opts.credentials }),
      }
      const client = new RDSClient({ ...config, retryStrategy: new ThrottlingPatientRetry() })
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
      // the same region, credentials and retries as RDS; AWS_ENDPOINT_URL(_RAM) for emulators
      const ram = new RAMClient({ ...config, region, retryStrategy: new ThrottlingPatientRetry() })
      return { client, ram, region, endpoint }
    },
    (e): RdsError =>
      (e as Error).name === 'NoRegion' ? { _tag: 'Configuration', message: (e as Error).message } : fromSdkError('connect', undefined)(e),
  )
