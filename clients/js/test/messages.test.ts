import { describe, expect, it } from 'vitest';
import { inChannelList, mergeMessages, newMessageId } from '../src/messages';
import type { LocalMessage } from '../src/types';

const m = (id: string, sec: number, status: LocalMessage['status'] = 'received', text = id): LocalMessage => ({
  id,
  text,
  created_at: new Date(Date.UTC(2025, 0, 1, 0, 0, sec)).toISOString(),
  status,
});

describe('mergeMessages', () => {
  it('keeps one copy per id, newer copy winning, sorted by time', () => {
    const a = [m('a', 1), m('b', 2)];
    const b = [m('b', 2, 'received', 'edited'), m('c', 3), m('0', 0)];
    const out = mergeMessages(a, b);
    expect(out.map((x) => x.id)).toEqual(['0', 'a', 'b', 'c']);
    expect(out.find((x) => x.id === 'b')?.text).toBe('edited');
  });

  it('turns our own sending message into sent when the server copy arrives', () => {
    const out = mergeMessages([m('mine', 5, 'sending')], [m('mine', 4)]);
    expect(out).toHaveLength(1);
    expect(out[0]?.status).toBe('sent');
  });

  it('orders equal timestamps by id and returns the same array when nothing is merged', () => {
    const list = [m('b', 1), m('a', 1)];
    expect(mergeMessages([], list).map((x) => x.id)).toEqual(['a', 'b']);
    const kept = [m('x', 1)];
    expect(mergeMessages(kept, [])).toBe(kept);
  });
});

describe('message ids and lists', () => {
  it('makes unique ids without the characters the server refuses', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newMessageId('a,b%c')));
    expect(ids.size).toBe(100);
    for (const id of ids) {
      expect(id).not.toMatch(/[,%]/);
      expect(id.length).toBeLessThanOrEqual(255);
    }
  });

  it('keeps thread-only replies out of the channel list', () => {
    expect(inChannelList({ id: 'r', parent_id: 'p' })).toBe(false);
    expect(inChannelList({ id: 'r', parent_id: 'p', show_in_channel: true })).toBe(true);
    expect(inChannelList({ id: 'x' })).toBe(true);
  });
});
