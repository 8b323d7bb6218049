// MultiPose's tracker numbers people 1, 2, 3 ... without bound; the wire's `person` is a
// small index (0..255). Each track keeps its index while it is seen; an index is reused only
// after its track has been gone for `forgetAfter` frames.

export const MAX_PERSON = 255;

export class PersonIds {
  private readonly byTrack = new Map<number, { person: number; lastSeen: number }>();
  private frame = 0;

  constructor(private readonly forgetAfter = 30) {}

  /** The person index of each track id seen in this frame (same order). */
  assign(trackIds: readonly (number | undefined)[]): number[] {
    this.frame += 1;
    for (const [track, entry] of this.byTrack) {
      if (this.frame - entry.lastSeen > this.forgetAfter) this.byTrack.delete(track);
    }
    const usedNow = new Set<number>();
    return trackIds.map((track, position) => {
      if (track === undefined) return this.free(usedNow, position);
      let entry = this.byTrack.get(track);
      if (!entry) {
        entry = { person: this.free(usedNow, 0), lastSeen: this.frame };
        this.byTrack.set(track, entry);
      }
      entry.lastSeen = this.frame;
      usedNow.add(entry.person);
      return entry.person;
    });
  }

  private free(usedNow: Set<number>, from: number): number {
    const taken = new Set([...this.byTrack.values()].map((entry) => entry.person));
    for (let person = from; person <= MAX_PERSON; person++) {
      if (!taken.has(person) && !usedNow.has(person)) {
        usedNow.add(person);
        return person;
      }
    }
    throw new Error('more than 256 people in view');
  }
}
