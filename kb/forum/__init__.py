"""The community forum: categories, threads, replies, votes, moderation."""
