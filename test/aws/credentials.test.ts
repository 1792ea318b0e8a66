/**
 * src/aws/credentials/: the role file, where the MFA code comes from, STS AssumeRole (against moto_server and
 * against a tiny fake STS that answers errors), AWS config profiles through fromIni, expiry and refresh, and
 * that no secret ever shows in a message.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import type { AwsCredentialIdentity } from '@smithy/types'
import { assumeRoleWithMfa, roleSessionName } from '../../src/aws/credentials/assume-role.js'
import { expiresWithin, refreshBeforeStep, type ExpiringCredentials } from '../../src/aws/credentials/expiring.js'
import { mfaCodeSource, promptText, type Prompt } from '../../src/aws/credentials/mfa.js'
import { profileCredentials } from '../../src/aws/credentials/profile.js'
import { loadRoleFile, type RoleFile } from '../../src/aws/credentials/role-file.js'
import type { Step } from '../../src/plan/plan.js'
import { startMoto, whenMotoAvailable, type Moto } from '../support/moto.js'

// ---------------------------------------------------------------------------------------------------------------
// Helpers

const dir = mkdtempSync(join(tmpdir(), 'mitosis-credentials-test-'))
let fileCount = 0
const file = (content: string): string => {
  const path = join(dir, `file-${++fileCount}.json`)
  writeFileSync(path, content)
  return path
}

const ROLE = 'arn:aws:iam::123456789012:role/sudo'
const SERIAL = 'arn:aws:iam::123456789012:mfa/username'
const goodRole = { roleArn: ROLE, mfaSerial: SERIAL, region: 'us-west-1', durationSeconds: 3600 }

const right = <A>(e: E.Either<string, A>): A => {
  if (E.isLeft(e)) return assert.unreachable(`expected a Right, got Left: ${e.left}`) as never
  return e.right
}
const left = <A>(e: E.Either<string, A>): string => {
  if (E.isRight(e)) return assert.unreachable(`expected a Left, got Right: ${JSON.stringify(e.right)}`) as never
  assert.not.match(e.left, /\n/, 'an error is one line')
  return e.left
}

/** A prompt that answers from a list and records the questions. */
const scripted = (answers: ReadonlyArray<string | undefined>): Prompt & { readonly questions: string[] } => {
  const queue = [...answers]
  const questions: string[] = []
  const prompt = async (q: string): Promise<string | undefined> => {
    questions.push(q)
    if (queue.length === 0) return assert.unreachable(`unexpected prompt: ${q}`) as never
    return queue.shift()
  }
  return Object.assign(prompt, { questions })
}
const noPrompt: Prompt = async (q) => assert.unreachable(`the terminal should not have been asked: ${q}`) as never

/** Runs `body` with these AWS_* variables only (others removed), restoring the environment after. */
const withAwsEnv = async <A>(vars: Readonly<Record<string, string>>, body: () => Promise<A>): Promise<A> => {
  const saved = { ...process.env }
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_') || k === 'MITOSIS_MFA_CODE') delete process.env[k]
  Object.assign(process.env, { AWS_CONFIG_FILE: join(dir, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials') }, vars)
  try {
    return await body()
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  }
}

const BASE_KEY = 'AKIDBASEKEY0000001'
const BASE_SECRET = 'base/Secret+Key0123456789abcdefEXAMPLE'
const staticEnv = (endpoint: string): Record<string, string> => ({
  AWS_ENDPOINT_URL: endpoint,
  AWS_ACCESS_KEY_ID: BASE_KEY,
  AWS_SECRET_ACCESS_KEY: BASE_SECRET,
  AWS_REGION: 'us-east-1',
})

// --- an HTTP tap in front of STS: records each request's form body, then forwards it or answers it itself

interface Tapped {
  readonly endpoint: string
  readonly bodies: URLSearchParams[]
  readonly close: () => Promise<void>
}

type Answer = { readonly status: number; readonly body: string }

const tap = (upstream: string | undefined, answer?: (form: URLSearchParams) => Answer | undefined): Promise<Tapped> => {
  const bodies: URLSearchParams[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const form = new URLSearchParams(body.toString('utf8'))
      bodies.push(form)
      const own = answer?.(form)
      if (own !== undefined || upstream === undefined) {
        const a = own ?? { status: 500, body: 'no upstream' }
        res.writeHead(a.status, { 'content-type': 'text/xml' })
        res.end(a.body)
        return
      }
      const headers = { ...req.headers, 'content-length': String(body.length) }
      delete headers['transfer-encoding']
      const up = http.request(`${upstream}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers)
        r.pipe(res)
      })
      up.on('error', (e) => {
        res.writeHead(502)
        res.end(e.message)
      })
      up.end(body)
    })
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number }
      resolve({
        endpoint: `http://127.0.0.1:${address.port}`,
        bodies,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
  })
}

const stsError = (status: number, code: string, message: string): Answer => ({
  status,
  body:
    `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code>` +
    `<Message>${message}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
})

const assumeRoleForms = (t: Tapped): URLSearchParams[] => t.bodies.filter((f) => f.get('Action') === 'AssumeRole')

/** Asserts that none of the secrets occurs in `text`. */
const noSecretIn = (text: string, secrets: ReadonlyArray<string | undefined>): void => {
  for (const s of secrets) {
    if (s === undefined || s === '') continue
    // a code is looked for as a number of its own (123456 is also part of the account id 123456789012)
    const leaked = /^\d+$/.test(s) ? new RegExp(`(?<!\\d)${s}(?!\\d)`).test(text) : text.includes(s)
    assert.not.ok(leaked, `a secret (${s.slice(0, 2)}…) leaked into: ${text}`)
  }
}

const callerArn = async (creds: AwsCredentialIdentity, endpoint: string): Promise<string | undefined> => {
  const sts = new STSClient({ region: 'us-east-1', endpoint, credentials: creds, maxAttempts: 1 })
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn
  } finally {
    sts.destroy()
  }
}


// ---------------------------------------------------------------------------------------------------------------
// The role file

test('role file: a good file decodes; durationSeconds is optional', () => {
  assert.equal(right(loadRoleFile(file(JSON.stringify(goodRole)))), goodRole)
  const { durationSeconds: _, ...short } = goodRole
  assert.equal(right(loadRoleFile(file(JSON.stringify(short)))), short)
  assert.ok(E.isRight(loadRoleFile(file(JSON.stringify({ ...goodRole, region: 'us-gov-west-1', mfaSerial: 'GAHT12345678' })))))
})

test('role file: a missing field is named, with the file', () => {
  const { mfaSerial: _, ...rest } = goodRole
  const path = file(JSON.stringify(rest))
  assert.is(
    left(loadRoleFile(path)),
    `${path}: mfaSerial: expected an MFA device ARN like arn:aws:iam::123456789012:mfa/NAME (or a hardware token serial), got nothing`,
  )
})

test('role file: ARNs of the wrong shape are refused', () => {
  const userArn = file(JSON.stringify({ ...goodRole, roleArn: 'arn:aws:iam::123456789012:user/sudo' }))
  assert.is(
    left(loadRoleFile(userArn)),
    `${userArn}: roleArn: expected an IAM role ARN like arn:aws:iam::123456789012:role/NAME, got "arn:aws:iam::123456789012:user/sudo"`,
  )
  const shortAccount = file(JSON.stringify({ ...goodRole, roleArn: 'arn:aws:iam::1234:role/sudo' }))
  assert.match(left(loadRoleFile(shortAccount)), `${shortAccount}: roleArn: expected an IAM role ARN`)
  const roleAsSerial = file(JSON.stringify({ ...goodRole, mfaSerial: ROLE }))
  assert.match(left(loadRoleFile(roleAsSerial)), `${roleAsSerial}: mfaSerial: expected an MFA device ARN`)
  const region = file(JSON.stringify({ ...goodRole, region: 'US West' }))
  assert.is(left(loadRoleFile(region)), `${region}: region: expected an AWS region like us-west-1, got "US West"`)
})

test('role file: durationSeconds must be whole seconds from 900 to 43200', () => {
  for (const bad of [60, 899, 43_201, 3600.5, '3600']) {
    const path = file(JSON.stringify({ ...goodRole, durationSeconds: bad }))
    assert.is(
      left(loadRoleFile(path)),
      `${path}: durationSeconds: expected whole seconds from 900 to 43200, got ${JSON.stringify(bad)}`,
    )
  }
  for (const ok of [900, 43_200]) assert.ok(E.isRight(loadRoleFile(file(JSON.stringify({ ...goodRole, durationSeconds: ok })))))
})

test('role file: not JSON, not an object, an unknown field, a missing file', () => {
  const notJson = file('{ roleArn: nope')
  assert.match(left(loadRoleFile(notJson)), new RegExp(`^${notJson}: not JSON: `))
  const array = file('[]')
  assert.is(left(loadRoleFile(array)), `${array}: expected a JSON object with roleArn, mfaSerial, region, durationSeconds, got an array`)
  const typo = file(JSON.stringify({ ...goodRole, durationSecond: 3600 }))
  assert.is(
    left(loadRoleFile(typo)),
    `${typo}: unknown field "durationSecond" (the fields are roleArn, mfaSerial, region, durationSeconds)`,
  )
  const missing = join(dir, 'no-such-role.json')
  assert.is(left(loadRoleFile(missing)), `${missing}: cannot read the role file: no such file`)
})

const ednFile = (content: string, name = `role-${++fileCount}.edn`): string => {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

test("role file: stack-mitosis's EDN loads the same role as the JSON, with comments, commas and a number", () => {
  const edn = [
    '; the admin role, as stack-mitosis reads it',
    `{:mfa-serial "${SERIAL}" ; the virtual device`,
    ` :role-arn "${ROLE}",`,
    ' :region "us-west-1"',
    ' :duration-seconds 3600}',
    '',
  ].join('\n')
  assert.equal(right(loadRoleFile(ednFile(edn))), goodRole)
  assert.equal(right(loadRoleFile(file(JSON.stringify(goodRole)))), goodRole)
  // known by its content too, whatever the file is called
  assert.equal(right(loadRoleFile(ednFile(edn, `role-${++fileCount}`))), goodRole)
  const { durationSeconds: _, ...short } = goodRole
  assert.equal(right(loadRoleFile(ednFile(`{:role-arn "${ROLE}" :mfa-serial "${SERIAL}" :region "us-west-1"}`))), short)
})

test('role file: a broken EDN file is one line naming the file and what is wrong', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    [`{:role-arn "${ROLE}" :mfa-serial "${SERIAL}" :region "us-west-1"`, 'not EDN: a map that is never closed (no "}") at line 1, column'],
    [`{:role-arn "${ROLE}" :mfa-serial ${SERIAL} :region "us-west-1"}`, `not EDN: expected a string, a number or a keyword, got "${SERIAL.slice(0, 40)}" at line 1, column`],
    [`{:role-arn "${ROLE}\n :region "us-west-1"}`, 'not EDN: expected a keyword key like :role-arn, got "u" at line 2, column 11'],
    [`{:role-arn "${ROLE}" :role-arn "${ROLE}"}`, 'not EDN: duplicate key :role-arn at line 1, column'],
    [`{:role-arn "${ROLE}" :mfa-serial "${SERIAL}" :region "us-west-1"} {}`, 'not EDN: unexpected "{" after the map at line 1, column'],
    [`{:role-arn "${ROLE}" :mfa-serial "${SERIAL}" :region}`, 'not EDN: no value for :region at line 1, column'],
    [`{:role-arn "${ROLE}" :mfa-serial "${SERIAL}" :region "us-west-1" :profile "admin"}`, 'unknown key :profile (the keys are :role-arn, :mfa-serial, :region, :duration-seconds)'],
    [`{:role-arn "arn:aws:iam::123456789012:user/sudo" :mfa-serial "${SERIAL}" :region "us-west-1"}`, ':role-arn: expected an IAM role ARN like arn:aws:iam::123456789012:role/NAME, got "arn:aws:iam::123456789012:user/sudo"'],
    [`{:role-arn "${ROLE}" :region "us-west-1"}`, ':mfa-serial: expected an MFA device ARN'],
    [`{:role-arn "${ROLE}" :mfa-serial "${SERIAL}" :region :us-west-1}`, ':region: expected an AWS region like us-west-1, got ":us-west-1"'],
    [`{:role-arn "${ROLE}" :mfa-serial "${SERIAL}" :region "us-west-1" :duration-seconds 60}`, ':duration-seconds: expected whole seconds from 900 to 43200, got 60'],
    ['; nothing but a comment', 'not EDN: expected a map ({:key "value" …}), got the end of the file at line 1, column'],
  ]
  for (const [content, message] of cases) {
    const path = ednFile(content)
    const line = left(loadRoleFile(path))
    assert.ok(line.startsWith(`${path}: ${message}`), `${JSON.stringify(content)}:\n  got      ${line}\n  expected ${path}: ${message}…`)
    assert.not.ok(line.includes('\n'), `one line: ${line}`)
  }
})


// ---------------------------------------------------------------------------------------------------------------
// Where the code comes from

test('MFA code: --mfa-code first, then MITOSIS_MFA_CODE, then the terminal', async () => {
  const env = { MITOSIS_MFA_CODE: '654321' }
  assert.is(right(await mfaCodeSource({ code: '123456', env, prompt: noPrompt }).next(SERIAL)), '123456')
  assert.is(right(await mfaCodeSource({ env, prompt: noPrompt }).next(SERIAL)), '654321')
  assert.is(right(await mfaCodeSource({ code: ' 123456\n', prompt: noPrompt }).next(SERIAL)), '123456', 'whitespace is trimmed')
  const prompt = scripted(['246810'])
  assert.is(right(await mfaCodeSource({ env: {}, prompt }).next(SERIAL)), '246810')
  assert.equal(prompt.questions, [`Enter MFA code for ${SERIAL}: `])
  assert.is(promptText(SERIAL), `Enter MFA code for ${SERIAL}: `)
})

test('MFA code: a given code that is not six digits is an error, without the code in it', async () => {
  const flag = left(await mfaCodeSource({ code: '12345', env: { MITOSIS_MFA_CODE: '654321' }, prompt: noPrompt }).next(SERIAL))
  assert.is(flag, '--mfa-code: MFA code must be six digits')
  const env = left(await mfaCodeSource({ env: { MITOSIS_MFA_CODE: '98765a' }, prompt: noPrompt }).next(SERIAL))
  assert.is(env, 'MITOSIS_MFA_CODE: MFA code must be six digits')
  noSecretIn(env, ['98765a'])
})

test('MFA code: the terminal is asked again after a wrong answer, three times in all', async () => {
  const prompt = scripted(['abc', '12 34 56', ' 246810 '])
  assert.is(right(await mfaCodeSource({ prompt }).next(SERIAL)), '246810')
  assert.equal(prompt.questions, [
    `Enter MFA code for ${SERIAL}: `,
    `MFA code must be six digits. Enter MFA code for ${SERIAL}: `,
    `MFA code must be six digits. Enter MFA code for ${SERIAL}: `,
  ])
  const stubborn = scripted(['1', '1234567', 'oneone', '111111'])
  const e = left(await mfaCodeSource({ prompt: stubborn }).next(SERIAL))
  assert.is(stubborn.questions.length, 3)
  assert.is(e, `MFA code must be six digits (3 attempts for ${SERIAL})`)
  noSecretIn(e, ['1234567', 'oneone'])
  assert.is(left(await mfaCodeSource({ prompt: scripted([undefined]) }).next(SERIAL)), `no MFA code was entered for ${SERIAL}`)
})

test('MFA code: no terminal and no code is the exact error; a given code serves once', async () => {
  assert.is(
    left(await mfaCodeSource({ env: { MITOSIS_MFA_CODE: '' } }).next(SERIAL)),
    `an MFA code is needed for ${SERIAL}: pass --mfa-code or set MITOSIS_MFA_CODE`,
  )
  const once = mfaCodeSource({ code: '123456' })
  assert.is(right(await once.next(SERIAL)), '123456')
  const again = left(await once.next(SERIAL))
  assert.match(again, `a fresh MFA code is needed for ${SERIAL} (the one from --mfa-code was used already)`)
  noSecretIn(again, ['123456'])
  const thenTerminal = scripted(['111222'])
  const source = mfaCodeSource({ env: { MITOSIS_MFA_CODE: '333444' }, prompt: thenTerminal })
  assert.is(right(await source.next(SERIAL)), '333444')
  assert.is(right(await source.next(SERIAL)), '111222')
  assert.is(thenTerminal.questions.length, 1)
})

test('role session names follow STS rules', () => {
  assert.is(roleSessionName('jane'), 'mitosis-jane')
  assert.is(roleSessionName('Jane Doe/ops:x'), 'mitosis-Jane-Doe-ops-x')
  assert.is(roleSessionName(''), 'mitosis-session')
  assert.is(roleSessionName(undefined), 'mitosis-session')
  const long = roleSessionName('a'.repeat(100))
  assert.is(long.length, 64)
  assert.match(long, /^[\w+=,.@-]{2,64}$/)
})

test('expiresWithin: judged against the given now; credentials without an expiry never expire', () => {
  const at = (ms: number | undefined) => ({ expiresAt: () => ms })
  assert.ok(expiresWithin(at(10_000), 5_000, 6_000))
  assert.not.ok(expiresWithin(at(10_000), 3_000, 6_000))
  assert.ok(expiresWithin(at(10_000), 0, 10_000))
  assert.not.ok(expiresWithin(at(undefined), Number.MAX_SAFE_INTEGER, 0))
})

test('refreshBeforeStep: credentials that would expire during a step (its typical time and a minute) are refreshed first; a failed refresh stops the run at the step', async () => {
  const step = { n: 4, op: 'RunCommand', id: 'shop', request: { Command: 'true' }, after: [], phase: 'restart' } as Step // typically 0 s
  const credentials = (expiresAt: number | undefined, refreshed: E.Either<string, void>): ExpiringCredentials & { refreshes: number } => {
    const c = { provider: async () => ({ accessKeyId: 'AKIA', secretAccessKey: 'secret' }), expiresAt: () => expiresAt, notes: [], refreshes: 0, refresh: async () => (c.refreshes++, refreshed) }
    return c
  }
  const lasting = credentials(1_000_000 + 60_001, E.right(undefined))
  assert.is(await refreshBeforeStep(lasting, () => 1_000_000)(step), undefined)
  assert.is(lasting.refreshes, 0)
  const static_ = credentials(undefined, E.right(undefined))
  assert.is(await refreshBeforeStep(static_, () => 1_000_000)(step), undefined)
  assert.is(static_.refreshes, 0)
  const dying = credentials(1_000_000 + 60_000, E.right(undefined))
  assert.is(await refreshBeforeStep(dying, () => 1_000_000)(step), undefined)
  assert.is(dying.refreshes, 1)
  const stuck = credentials(1_000_000, E.left('no MFA code was entered for arn:aws:iam::123456789012:mfa/username'))
  assert.is(await refreshBeforeStep(stuck, () => 1_000_000)(step), 'the AWS credentials expire before step 4 could finish (no MFA code was entered for arn:aws:iam::123456789012:mfa/username)')
  assert.is(stuck.refreshes, 1)
})

// ---------------------------------------------------------------------------------------------------------------
// Errors from STS (a fake STS on this machine): one line, which role, never a secret

const roleFile = (over: Partial<RoleFile> = {}): RoleFile => ({ ...goodRole, region: 'us-east-1', ...over })

test('AssumeRole refused: names the role and says the code may be wrong; no secret in it', async () => {
  const code = '918273'
  const fake = await tap(undefined, (f) =>
    f.get('Action') === 'AssumeRole'
      ? stsError(403, 'AccessDenied', `MultiFactorAuthentication failed with invalid MFA one time pass code ${f.get('TokenCode')} for key ${BASE_SECRET}.`)
      : undefined,
  )
  try {
    const e = left(
      await withAwsEnv(staticEnv(fake.endpoint), () => assumeRoleWithMfa(roleFile(), mfaCodeSource({ code }), { sessionName: 't' })()),
    )
    assert.match(e, `AWS refused to let the default AWS credentials assume ${ROLE} (AccessDenied)`)
    assert.match(e, 'the MFA code may be wrong')
    noSecretIn(e, [code, BASE_SECRET])
    assert.is(assumeRoleForms(fake)[0]?.get('TokenCode'), code, 'the code was sent')
  } finally {
    await fake.close()
  }
})

test('AssumeRole with expired base credentials, or STS unreachable: one clear line each', async () => {
  const fake = await tap(undefined, () => stsError(403, 'ExpiredToken', 'The security token included in the request is expired'))
  try {
    const expired = left(
      await withAwsEnv({ ...staticEnv(fake.endpoint), AWS_SESSION_TOKEN: 'base-session-token-SECRET' }, () =>
        assumeRoleWithMfa(roleFile({ durationSeconds: 900 }), mfaCodeSource({ code: '123456' }))(),
      ),
    )
    assert.is(
      expired,
      `cannot assume ${ROLE} with the default AWS credentials: the AWS credentials have expired (ExpiredToken); refresh them and re-run`,
    )
  } finally {
    await fake.close()
  }
  const closed = await tap(undefined)
  const endpoint = closed.endpoint
  await closed.close()
  const started = Date.now()
  const unreachable = left(
    await withAwsEnv(staticEnv(endpoint), () => assumeRoleWithMfa(roleFile(), mfaCodeSource({ code: '123456' }))()),
  )
  assert.is(unreachable, `cannot reach STS at ${endpoint} to assume ${ROLE}: ECONNREFUSED`)
  assert.ok(Date.now() - started < 30_000, 'said within seconds')
  noSecretIn(unreachable, ['123456', BASE_SECRET])
})

test('AssumeRole with no code and no terminal: the exact error, before anything is sent', async () => {
  const fake = await tap(undefined, () => stsError(500, 'InternalFailure', 'should not be called'))
  try {
    const e = left(await withAwsEnv(staticEnv(fake.endpoint), () => assumeRoleWithMfa(roleFile(), mfaCodeSource({ env: {} }))()))
    assert.is(e, `an MFA code is needed for ${SERIAL}: pass --mfa-code or set MITOSIS_MFA_CODE`)
    assert.is(assumeRoleForms(fake).length, 0)
  } finally {
    await fake.close()
  }
})

// ---------------------------------------------------------------------------------------------------------------
// Against moto_server

whenMotoAvailable('credentials tests against moto', () => {
  let starting: Promise<Moto> | undefined
  const getMoto = (): Promise<Moto> => (starting ??= startMoto())
  /** moto behind a tap that keeps each request's form (the moto proxy records only actions). */
  const motoTap = async (): Promise<{ moto: Moto; tapped: Tapped }> => {
    const moto = await getMoto()
    moto.clearRequests()
    return { moto, tapped: await tap(moto.endpoint) }
  }

  test('assumeRoleWithMfa against moto: usable credentials, the expiry asked for, SerialNumber and TokenCode sent', async () => {
    const { moto, tapped } = await motoTap()
    try {
      const before = Date.now()
      const creds = right(
        await withAwsEnv(staticEnv(tapped.endpoint), () =>
          assumeRoleWithMfa(roleFile({ durationSeconds: 7200 }), mfaCodeSource({ code: '123456' }), { sessionName: 'jane doe' })(),
        ),
      )
      const identity = await creds.provider()
      assert.is.not(identity.accessKeyId, BASE_KEY)
      assert.ok(identity.sessionToken !== undefined && identity.sessionToken.length > 0)
      const expiresAt = creds.expiresAt()
      assert.ok(expiresAt !== undefined, 'an expiry')
      assert.ok(Math.abs(expiresAt - (before + 7_200_000)) < 120_000, `expiry ~2 h ahead, got ${new Date(expiresAt).toISOString()}`)
      assert.ok(expiresWithin(creds, 7_300_000, Date.now()) && !expiresWithin(creds, 7_000_000, Date.now()))
      assert.equal(creds.notes, [])
      assert.is(await callerArn(identity, moto.endpoint), 'arn:aws:sts::123456789012:assumed-role/sudo/mitosis-jane-doe')

      const [form, ...more] = assumeRoleForms(tapped)
      assert.is(more.length, 0, 'one AssumeRole')
      assert.is(form?.get('RoleArn'), ROLE)
      assert.is(form?.get('SerialNumber'), SERIAL)
      assert.is(form?.get('TokenCode'), '123456')
      assert.is(form?.get('DurationSeconds'), '7200')
      assert.is(form?.get('RoleSessionName'), 'mitosis-jane-doe')
      assert.ok(moto.requests().some((r) => r.action === 'AssumeRole'), 'moto saw AssumeRole')
    } finally {
      await tapped.close()
    }
  })

  test('refresh: a used --mfa-code is not sent again; the terminal gives a fresh one; the provider refreshes near expiry', async () => {
    const { tapped } = await motoTap()
    try {
      await withAwsEnv(staticEnv(tapped.endpoint), async () => {
        const once = right(await assumeRoleWithMfa(roleFile(), mfaCodeSource({ code: '123456' }))())
        const old = await once.provider()
        const e = left(await once.refresh())
        assert.match(e, `a fresh MFA code is needed for ${SERIAL}`)
        assert.is((await once.provider()).accessKeyId, old.accessKeyId, 'the old credentials stay')
        assert.is(assumeRoleForms(tapped).length, 1)

        let clock = Date.now()
        const prompt = scripted(['222333', '444555', undefined])
        const creds = right(await assumeRoleWithMfa(roleFile(), mfaCodeSource({ code: '123456', prompt }), { now: () => clock })())
        const first = await creds.provider()
        assert.is(prompt.questions.length, 0)
        right(await creds.refresh())
        const second = await creds.provider()
        assert.is.not(second.accessKeyId, first.accessKeyId)
        assert.is(assumeRoleForms(tapped).at(-1)?.get('TokenCode'), '222333')
        // an hour later, a request would be signed with dead keys: the provider refreshes first
        clock += 3_600_000
        const third = await creds.provider()
        assert.is.not(third.accessKeyId, second.accessKeyId)
        assert.is(assumeRoleForms(tapped).at(-1)?.get('TokenCode'), '444555')
        assert.is(prompt.questions.length, 2)
        // no code this time (the terminal closed): the provider throws one line the SDK callers map to a credentials error
        clock += 3_600_000
        let thrown: unknown
        await creds.provider().catch((err: unknown) => {
          thrown = err
        })
        assert.is((thrown as Error | undefined)?.name, 'CredentialsProviderError')
        assert.is((thrown as Error).message, `no MFA code was entered for ${SERIAL}`)
      })
    } finally {
      await tapped.close()
    }
  })

  test('role chaining: with assumed-role base credentials the session is asked for 1 h at most, and said so', async () => {
    const { tapped } = await motoTap()
    try {
      const base = await withAwsEnv(staticEnv(tapped.endpoint), async () =>
        (await assumeRoleWithMfa(roleFile(), mfaCodeSource({ code: '123456' }))().then(right)).provider(),
      )
      const chained = right(
        await withAwsEnv(
          {
            ...staticEnv(tapped.endpoint),
            AWS_ACCESS_KEY_ID: base.accessKeyId,
            AWS_SECRET_ACCESS_KEY: base.secretAccessKey,
            AWS_SESSION_TOKEN: base.sessionToken ?? '',
          },
          () => assumeRoleWithMfa(roleFile({ roleArn: 'arn:aws:iam::123456789012:role/deep', durationSeconds: 14_400 }), mfaCodeSource({ code: '654321' }))(),
        ),
      )
      assert.is(assumeRoleForms(tapped).at(-1)?.get('DurationSeconds'), '3600')
      assert.ok(tapped.bodies.some((f) => f.get('Action') === 'GetCallerIdentity'))
      assert.is(chained.notes.length, 1)
      assert.match(chained.notes[0] ?? '', 'role chaining')
      const expiresAt = chained.expiresAt() ?? 0
      assert.ok(Math.abs(expiresAt - (Date.now() + 3_600_000)) < 120_000, 'expiry ~1 h ahead')
    } finally {
      await tapped.close()
    }
  })

  test('profile with role_arn + mfa_serial + source_profile: fromIni asks our code provider exactly once', async () => {
    const { moto, tapped } = await motoTap()
    const config = join(dir, 'config')
    const credentials = join(dir, 'credentials')
    writeFileSync(
      config,
      [
        '[profile ops]',
        'role_arn = arn:aws:iam::123456789012:role/ops',
        `mfa_serial = ${SERIAL}`,
        'source_profile = base',
        'region = us-east-1',
        '',
        '[profile plain]',
        'region = us-east-1',
        '',
      ].join('\n'),
    )
    writeFileSync(credentials, `[base]\naws_access_key_id = ${BASE_KEY}\naws_secret_access_key = ${BASE_SECRET}\n[plain]\naws_access_key_id = AKIDPLAIN\naws_secret_access_key = plainSecretKey0123456789\n`)
    try {
      await withAwsEnv({ AWS_ENDPOINT_URL: tapped.endpoint, AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials }, async () => {
        const prompt = scripted(['135790'])
        const creds = right(await profileCredentials('ops', mfaCodeSource({ prompt }))())
        assert.equal(prompt.questions, [`Enter MFA code for ${SERIAL}: `], 'asked exactly once')
        const form = assumeRoleForms(tapped).at(-1)
        assert.is(form?.get('RoleArn'), 'arn:aws:iam::123456789012:role/ops')
        assert.is(form?.get('SerialNumber'), SERIAL)
        assert.is(form?.get('TokenCode'), '135790')
        assert.ok(moto.requests().some((r) => r.action === 'AssumeRole'))
        const identity = await creds.provider()
        await creds.provider()
        assert.is(prompt.questions.length, 1, 'the provider does not ask again while the session lasts')
        assert.match(await callerArn(identity, moto.endpoint) ?? '', /:assumed-role\/ops\//)
        assert.ok(creds.expiresAt() !== undefined)

        // a profile without mfa_serial never asks
        const plain = right(await profileCredentials('plain', mfaCodeSource({ prompt: noPrompt }))())
        assert.is((await plain.provider()).accessKeyId, 'AKIDPLAIN')
        assert.is(plain.expiresAt(), undefined)

        // no terminal: the exact error, as fromIni hands it back
        assert.is(
          left(await profileCredentials('ops', mfaCodeSource({}))()),
          `an MFA code is needed for ${SERIAL}: pass --mfa-code or set MITOSIS_MFA_CODE`,
        )
        const missing = left(await profileCredentials('nope', mfaCodeSource({}))())
        assert.match(missing, /^profile nope: /)
        noSecretIn(missing, [BASE_SECRET])
      })
    } finally {
      await tapped.close()
    }
  })

  test('profile: AssumeRole refused through fromIni names the profile and the code; no secret in it', async () => {
    const code = '864200'
    const fake = await tap(undefined, (f) =>
      stsError(403, 'AccessDenied', `invalid MFA one time pass code ${f.get('TokenCode')} (secret ${BASE_SECRET})`),
    )
    const config = join(dir, 'config-denied')
    const credentials = join(dir, 'credentials-denied')
    writeFileSync(config, `[profile ops]\nrole_arn = ${ROLE}\nmfa_serial = ${SERIAL}\nsource_profile = base\nregion = us-east-1\n`)
    writeFileSync(credentials, `[base]\naws_access_key_id = ${BASE_KEY}\naws_secret_access_key = ${BASE_SECRET}\n`)
    try {
      const e = left(
        await withAwsEnv({ AWS_ENDPOINT_URL: fake.endpoint, AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials }, () =>
          profileCredentials('ops', mfaCodeSource({ code }))(),
        ),
      )
      assert.match(e, `assume ${ROLE} (profile ops) (AccessDenied)`)
      assert.match(e, 'the MFA code may be wrong')
      noSecretIn(e, [code, BASE_SECRET])
    } finally {
      await fake.close()
    }
  })

  test.after(async () => {
    if (starting !== undefined) await starting.then((m) => m.stop(), () => undefined)
  })
})

test.after(() => {
  rmSync(dir, { recursive: true, force: true })
})

test.run()
