//! A user's unread counts, per channel and in total.

use crate::engine::ChatEngine;
use crate::error::Result;
use crate::ids::{AppId, UserId};
use crate::read_state::{unread_count, ChannelUnread, ThreadUnread, UnreadSummary};

impl ChatEngine {
    /// Unread totals of `user`: O(channels) arithmetic over cursors, never a count of
    /// messages. Channels and threads with unread messages are listed, newest first.
    pub async fn unread_counts(&self, app: &AppId, user: &UserId) -> Result<UnreadSummary> {
        let reads = self.store.user_reads(app, user).await?;
        let mut summary = UnreadSummary::default();
        for (read, counters) in reads {
            let unread = unread_count(&counters, &read);
            if unread == 0 {
                continue;
            }
            summary.total_unread_count += unread;
            summary.unread_channels += 1;
            summary.channels.push(ChannelUnread {
                cid: read.cid,
                unread_messages: unread,
                last_read_at: read.last_read_at,
                last_read_message_id: read.last_read_message_id,
                last_message_at: counters.last_message_at,
            });
        }
        summary.channels.sort_by(|a, b| {
            b.last_message_at
                .cmp(&a.last_message_at)
                .then_with(|| a.cid.cmp(&b.cid))
        });
        for (read, thread) in self.store.user_thread_reads(app, user).await? {
            let unread = thread
                .reply_count
                .saturating_sub(read.last_read_reply_count);
            if unread > 0 {
                summary.unread_threads += 1;
                summary.threads.push(ThreadUnread {
                    cid: read.cid,
                    parent_id: read.parent_id,
                    unread_replies: unread,
                    last_read_at: read.last_read_at,
                });
            }
        }
        Ok(summary)
    }
}
