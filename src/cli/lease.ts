/** The lease this process takes on a target while it applies: this host, this pid, an id of its own. */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { DEFAULT_LEASE_TTL_MS, type LeaseOptions } from '../interpret/lease.js'

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: it runs, as somebody else
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export const thisProcessLease = (): LeaseOptions => {
  const host = hostname()
  return {
    holder: { host, pid: process.pid, id: randomBytes(4).toString('hex') },
    ttlMs: DEFAULT_LEASE_TTL_MS,
    // a holder on this host that is gone (killed, crashed) leaves a lease that is taken over at once
    isAlive: (h) => (h.host === host ? pidAlive(h.pid) : undefined),
  }
}
