import { describe, expect, it } from 'vitest';
import { ChannelFull, InvalidName, LayerClosed, LayerUnavailable } from '../../channel-layer/index.js';
import { BodyTooLarge, NoWorker, outcomeOf, Overloaded, ProtocolViolation, QueueOverflow, RequestTimeout, ResponseAborted, WorkerTimeout } from '../../interface-server/failures.js';
import { MessageValidationError, SwitchyardError } from '../../schemas/index.js';

describe('what the client sees of a failure, read from the error', () => {
  const cases: [Error, number, number, string | undefined][] = [
    [new ChannelFull('jobs'), 503, 1013, '1'],
    [new Overloaded('http'), 503, 1013, '1'],
    [new NoWorker('http'), 503, 1013, '1'],
    [new LayerUnavailable('down'), 503, 1013, '1'],
    [new LayerClosed(), 503, 1013, '1'],
    [new QueueOverflow(10), 503, 1013, undefined],
    [new WorkerTimeout('late'), 504, 1011, undefined],
    [new RequestTimeout('slow'), 408, 1011, undefined],
    [new BodyTooLarge('big'), 413, 1009, undefined],
    [new ProtocolViolation('"a"', 'b'), 500, 1011, undefined],
    [new MessageValidationError('t', 'f', 'bad'), 500, 1011, undefined],
    [new ResponseAborted('gave up'), 500, 1011, undefined],
    [new InvalidName('x'), 500, 1011, undefined],
    [new Error('anything else'), 500, 1011, undefined],
  ];
  for (const [error, status, closeCode, retryAfter] of cases) {
    it(`${error.name}: ${status} / ${closeCode}`, () => {
      const outcome = outcomeOf(error);
      expect([outcome.status, outcome.closeCode]).toEqual([status, closeCode]);
      expect(Object.fromEntries(outcome.headers)['retry-after']).toBe(retryAfter);
      expect(outcome.reason).not.toContain(error.message); // never internal detail
    });
  }

  it('every switchyard error carries a stable code', () => {
    for (const [error] of cases.slice(0, -1)) {
      expect(error).toBeInstanceOf(SwitchyardError);
      expect((error as SwitchyardError).code).toMatch(/^SWITCHYARD_[A-Z_]+$/);
    }
  });
});
