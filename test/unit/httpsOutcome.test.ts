import { describe, expect, it } from 'vitest';
import { classifyReply, excerpt } from '../../src/publish/httpsOutcome.js';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

describe('classifyReply', () => {
  it.each<[number, string]>([
    [200, 'delivered'], [201, 'delivered'], [204, 'delivered'], [299, 'delivered'],
    [301, 'retry'], [308, 'retry'],
    [400, 'refused'], [404, 'refused'], [410, 'refused'], [413, 'refused'], [422, 'refused'],
    [401, 'auth'], [403, 'auth'],
    [408, 'retry'], [409, 'retry'], [429, 'retry'],
    [500, 'retry'], [503, 'retry'], [599, 'retry'], [600, 'retry'], [999, 'retry'],
  ])('status %i → %s', (status, kind) => {
    expect(classifyReply({ status, body: '' }, [A, B]).kind).toBe(kind);
  });

  it('keeps Retry-After for retry and auth outcomes only', () => {
    expect(classifyReply({ status: 503, body: '', retryAfterMs: 5 }, [A]).result.retryAfterMs).toBe(5);
    expect(classifyReply({ status: 401, body: '', retryAfterMs: 5 }, [A]).result.retryAfterMs).toBe(5);
    expect(classifyReply({ status: 400, body: '', retryAfterMs: 5 }, [A]).result.retryAfterMs).toBeUndefined();
    expect(classifyReply({ status: 200, body: '', retryAfterMs: 5 }, [A]).result.retryAfterMs).toBeUndefined();
  });

  it('reads reasons leniently: first mention wins, non-string reasons are stringified', () => {
    const body = JSON.stringify({ rejected: [{ id: A, reason: { code: 7 } }, { id: A, reason: 'second' }, { id: B }] });
    expect(classifyReply({ status: 200, body }, [A, B]).result).toEqual({
      acked: [],
      rejected: [
        { id: A, reason: 'http 200: {"code":7}' },
        { id: B, reason: 'http 200: rejected by the server (no reason given)' },
      ],
    });
  });

  it('reports each batch id once even if the batch repeats it', () => {
    expect(classifyReply({ status: 200, body: '' }, [A, A, B]).result.acked).toEqual([A, B]);
  });

  it.each(['null', '[]', '"text"', '42', '{"rejected":null}'])('a 2xx body %s acks everything', (body) => {
    expect(classifyReply({ status: 200, body }, [A, B]).result).toEqual({ acked: [A, B], rejected: [] });
  });
});

describe('excerpt', () => {
  it('flattens control characters and white space and cuts at the limit', () => {
    expect(excerpt(' a\r\n\tb\u0000c  ', 500)).toBe('a b c');
    expect(excerpt('x'.repeat(600), 500)).toHaveLength(500);
  });
});
