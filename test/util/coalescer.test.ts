import { Coalescer } from '../../src/util/coalescer';

/** A write that waits until the test lets it finish, recording what each write carried. */
function heldWrites() {
  const writes: { items: number[]; finish: () => void; fail: (error: Error) => void }[] = [];
  const write = (items: number[]) => new Promise<void>((resolve, reject) => writes.push({ items: [...items], finish: resolve, fail: reject }));
  return { writes, write };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Coalescer', () => {
  it('writes what is added in one moment together, and what arrives during that write together in the next', async () => {
    const { writes, write } = heldWrites();
    const coalescer = new Coalescer(write, 100);
    const first = Promise.all([coalescer.add([1]), coalescer.add([2, 3])]);
    await tick();
    expect(writes.map((w) => w.items)).toEqual([[1, 2, 3]]);
    const later = [coalescer.add([4]), coalescer.add([5, 6]), coalescer.add([7])];
    await tick();
    expect(writes).toHaveLength(1); // one write at a time
    writes[0]!.finish();
    await first;
    await tick();
    expect(writes.map((w) => w.items)).toEqual([
      [1, 2, 3],
      [4, 5, 6, 7],
    ]);
    writes[1]!.finish();
    await Promise.all(later);
    expect(coalescer.idle).toBe(true);
  });

  it.each([
    {
      max: 3,
      adds: [[1, 2], [3, 4], [5]],
      expected: [
        [1, 2, 3],
        [4, 5],
      ],
    },
    { max: 2, adds: [[1, 2, 3, 4, 5]], expected: [[1, 2], [3, 4], [5]] },
    {
      max: 2,
      adds: [[1], [2, 3, 4]],
      expected: [
        [1, 2],
        [3, 4],
      ],
    },
  ])('never puts more than $max items in one write ($adds)', async ({ max, adds, expected }) => {
    const { writes, write } = heldWrites();
    const coalescer = new Coalescer(write, max);
    const done = Promise.all(adds.map((items) => coalescer.add(items)));
    for (let i = 0; i < expected.length; i += 1) {
      await tick();
      writes[i]!.finish();
    }
    await done;
    expect(writes.map((w) => w.items)).toEqual(expected);
  });

  it("gives every caller of a failed write its error, and goes on with the next write's callers", async () => {
    const { writes, write } = heldWrites();
    const coalescer = new Coalescer(write, 100);
    const first = coalescer.add([1]);
    await tick();
    const [second, third] = [coalescer.add([2]), coalescer.add([3])];
    writes[0]!.finish();
    await first;
    await tick();
    writes[1]!.fail(new Error('database away'));
    await expect(second).rejects.toThrow('database away');
    await expect(third).rejects.toThrow('database away');
    const fourth = coalescer.add([4]);
    await tick();
    writes[2]!.finish();
    await fourth;
    expect(writes.map((w) => w.items)).toEqual([[1], [2, 3], [4]]);
    expect(coalescer.idle).toBe(true);
  });

  it('a caller whose items span two writes waits for both and sees either failure', async () => {
    const { writes, write } = heldWrites();
    const coalescer = new Coalescer(write, 2);
    const spanning = coalescer.add([1, 2, 3]);
    let settled = false;
    void spanning.catch(() => undefined).finally(() => (settled = true));
    await tick();
    writes[0]!.finish();
    await tick();
    expect(settled).toBe(false);
    writes[1]!.fail(new Error('second write failed'));
    await expect(spanning).rejects.toThrow('second write failed');
  });

  it('is idle when the last caller resumes, so a caller can forget it then', async () => {
    const coalescer = new Coalescer(async () => {}, 10);
    await coalescer.add([1]);
    expect(coalescer.idle).toBe(true);
    await coalescer.add([]);
    expect(coalescer.idle).toBe(true);
  });
});
