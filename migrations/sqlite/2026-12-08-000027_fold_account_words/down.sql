-- Nothing to undo: the words stay folded, as the application writes them.
SELECT 1;
