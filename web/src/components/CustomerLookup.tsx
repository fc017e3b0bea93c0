// Opens a customer by typing (or pasting) an id, for when the analyst already knows whom to look at.
import { useState } from 'preact/hooks';

export function CustomerLookup({ onOpen }: { onOpen: (customerId: string) => void }) {
  const [text, setText] = useState('');
  return (
    <form
      class="lookup"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        // Ids are compared exactly, spaces included (docs/data.md): open what was typed; only all-blank is nothing.
        if (text.trim()) onOpen(text);
      }}
    >
      <label for="lookup-id">Customer id</label>
      <input id="lookup-id" value={text} onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)} maxLength={200} autocomplete="off" spellcheck={false} />
      <button type="submit">Open</button>
    </form>
  );
}
