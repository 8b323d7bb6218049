// A labelled clip: "label: squat_down, 10 s, 3 s countdown". Frames captured while the clip
// records carry its label; the clip counts them.

export interface ClipPlan {
  label: string;
  durationS: number;
  countdownS: number;
}

export type ClipPhase =
  | { phase: 'countdown'; remainingS: number }
  | { phase: 'recording'; remainingS: number }
  | { phase: 'done' };

export interface Clip {
  label: string;
  sessionId: string;
  firstSeq: number | null;
  lastSeq: number | null;
  frames: number;
}

export class ClipRecorder {
  readonly clip: Clip;

  constructor(
    readonly plan: ClipPlan,
    private readonly startedAtMs: number,
    sessionId: string,
  ) {
    this.clip = { label: plan.label, sessionId, firstSeq: null, lastSeq: null, frames: 0 };
  }

  phaseAt(nowMs: number): ClipPhase {
    const elapsedS = (nowMs - this.startedAtMs) / 1000;
    if (elapsedS < this.plan.countdownS) {
      return { phase: 'countdown', remainingS: this.plan.countdownS - elapsedS };
    }
    const recordedS = elapsedS - this.plan.countdownS;
    if (recordedS < this.plan.durationS) {
      return { phase: 'recording', remainingS: this.plan.durationS - recordedS };
    }
    return { phase: 'done' };
  }

  /** The label for a frame captured at nowMs (undefined outside the recording phase). */
  labelAt(nowMs: number): string | undefined {
    return this.phaseAt(nowMs).phase === 'recording' ? this.plan.label : undefined;
  }

  /** Count frames of one instant streamed with this clip's label. */
  count(seq: number, frames: number): void {
    if (this.clip.firstSeq === null) this.clip.firstSeq = seq;
    this.clip.lastSeq = seq;
    this.clip.frames += frames;
  }
}

const LABEL_PATTERN = /^[\p{L}\p{N}_\- ]{1,64}$/u;

/** A label as the backend stores it (trimmed, 1..64 characters), or null if unusable. */
export function normaliseLabel(text: string): string | null {
  const label = text.trim();
  return LABEL_PATTERN.test(label) ? label : null;
}
