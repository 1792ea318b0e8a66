/** SDK failures turned into the port's errors: one line each, never a credential in them. */
import type { RdsError } from '../interpret/capabilities.js'

const CREDENTIAL_CODES = new Set([
  'ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'InvalidClientTokenId', 'UnrecognizedClientException',
  'SignatureDoesNotMatch', 'InvalidSignatureException', 'IncompleteSignature', 'AuthFailure',
])

/** The first line of a message, trimmed: a message shown to the user is one line. */
export const firstLine = (s: string): string => s.split('\n')[0]!.trim()

/** `service` names what could not be reached: RDS unless the action says otherwise (`ram:…`, `sts:…`). */
export const fromSdkError = (action: string, endpoint: string | undefined) => (e: unknown): RdsError => {
  const service = /^([a-z]+):/.exec(action)?.[1]?.toUpperCase() ?? 'RDS'
  const err = e as {
    name?: string; code?: string; message?: string; Code?: string; $metadata?: unknown; $fault?: string; cause?: { code?: string }
    $response?: { statusCode?: number; headers?: Record<string, string | undefined> }
  }
  const name = err.name ?? err.Code ?? 'Error'
  const message = firstLine(err.message ?? String(e))
  const sysCode = err.code ?? err.cause?.code
  if (name === 'CredentialsProviderError' || name === 'TokenProviderError') {
    return { _tag: 'Credentials', message: `no usable AWS credentials: ${message}` }
  }
  if (name.startsWith('ExpiredToken') || name === 'RequestExpired') {
    return { _tag: 'Credentials', message: `the AWS credentials have expired (${name}); refresh them and re-run` }
  }
  if (CREDENTIAL_CODES.has(name)) return { _tag: 'Credentials', message: `AWS rejected the credentials (${name}): ${message}` }
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || name === 'UnauthorizedOperation') {
    return { _tag: 'AccessDenied', action, message }
  }
  if (sysCode !== undefined && /^(ECONNREFUSED|ENOTFOUND|ECONNRESET|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH)$/.test(sysCode)) {
    return { _tag: 'Unreachable', message: `cannot reach ${service}${endpoint === undefined ? '' : ` at ${endpoint}`}: ${sysCode}` }
  }
  if (name === 'TimeoutError' || name === 'RequestTimeout') {
    return { _tag: 'Unreachable', message: `${service} did not answer ${action}${endpoint === undefined ? '' : ` at ${endpoint}`}: ${message}` }
  }
  // an answer the SDK could not read as the API's (an HTML page, say: an emulator without the action, a
  // proxy's error page): said as what came back, not as the XML parser's complaint
  if (err.$response !== undefined && err.$fault === undefined) {
    const type = err.$response.headers?.['content-type']?.split(';')[0]?.trim()
    const answer = `HTTP ${err.$response.statusCode ?? '?'}${type === undefined || type === '' ? '' : ` ${type}`}`
    return { _tag: 'Decode', action, message: `${answer}, not an answer of the ${service} API${endpoint === undefined ? '' : ` (from ${endpoint})`}` }
  }
  return { _tag: 'Api', action, code: name, message }
}
