-- `messages.search_tsv` stops being generated: the store now writes it from the tokens
-- chat-core computes (chat_core::query::text::tokens), passed as one space-joined string
-- per message and turned into a tsvector with array_to_tsvector(string_to_array(…, ' ')).
--
-- Why: chat_search_vector() runs translate() with a ~600-character map, which Postgres
-- evaluates character by character against the whole map: 12 ms for a 1 KiB message,
-- inside the group commit's single statement, which capped sends at ~80/s. Existing rows
-- keep the values the function computed (the same tokens, as the conformance suite
-- checks), and the function stays for that comparison.
ALTER TABLE messages ALTER COLUMN search_tsv DROP EXPRESSION;
