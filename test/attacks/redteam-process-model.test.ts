/**
 * Attacks on the session process model: one Python process per session (the kernel), an idle
 * PID 1, and processes the zygote forks into a running session on demand (file servers,
 * restarted kernels).
 *
 * Every process a session runs is forked from the zygote, so it starts with a copy of the
 * zygote's heap. What that heap holds about other sessions must not be within reach of user code.
 */
import { describe, expect, it } from 'vitest';
import { guarded, useAttackPool } from './support/fixture.js';

/**
 * Walks the frames of the running cell up to the zygote's main loop and reports what the zygote's
 * bookkeeping, inherited by the fork, says of sessions: their ids, host uids and connection tokens.
 */
const ZYGOTE_BOOKKEEPING = String.raw`
import gc, json, sys
sessions = {}
frame = sys._getframe()
while frame is not None:
    owner = frame.f_locals.get("self")
    if isinstance(getattr(owner, "sessions", None), dict):
        for key, session in owner.sessions.items():
            request = getattr(session, "request", {}) or {}
            sessions[str(key)] = {"uid": request.get("uid"), "token": bool(request.get("token"))}
    frame = frame.f_back
for candidate in gc.get_objects():
    if isinstance(candidate, dict) and "token" in candidate and "dataDir" in candidate and "id" in candidate:
        sessions.setdefault(str(candidate["id"]), {"uid": candidate.get("uid"), "token": bool(candidate.get("token"))})
json.dumps(sessions)
`;

describe('session process model (egress off)', () => {
  const ctx = useAttackPool({ egress: false, maxSessions: 8, readySessions: 2, memoryMb: 256 });

  it('P1: a kernel (first or restarted) cannot reach the bookkeeping the zygote keeps on other sessions (ids, host uids, tokens)', async () => {
    await guarded(ctx, async () => {
      const attacker = ctx.id('p1');
      // A first kernel holds what the zygote knew when the session was forked; a restarted one,
      // forked from the zygote at the restart, what it knows now: the victim's session at least.
      const first = await ctx.probe<Record<string, { uid: number | null; token: boolean }>>(attacker, ZYGOTE_BOOKKEEPING);
      // The cell's answer says the kernel was lost; the next cell gets a fresh kernel.
      await ctx.client.exec1(attacker, 'import os\nos._exit(3)', { httpTimeoutMs: 60_000 });
      const restarted = await ctx.probe<Record<string, { uid: number | null; token: boolean }>>(attacker, ZYGOTE_BOOKKEEPING);
      // Its own session is the one entry user code may know of (it has its own request anyway).
      const others = (seen: Record<string, unknown>) => Math.max(0, Object.keys(seen).length - 1);
      expect(others(first), `sessions a first kernel sees in the zygote's bookkeeping: ${JSON.stringify(first)}`).toBe(0);
      expect(others(restarted), `sessions a restarted kernel sees in the zygote's bookkeeping: ${JSON.stringify(restarted)}`).toBe(0);
    });
  }, 120_000);
});
