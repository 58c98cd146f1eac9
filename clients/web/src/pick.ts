// Files from the pickers and from drag-and-drop, with their paths relative
// to the folder they go into.

import type { PickedFile } from "./upload";

export interface Picked {
  files: PickedFile[];
  /** Relative folders seen while walking a drop, so that empty ones are made too. */
  folders: string[];
}

/** Files of an <input type=file>; folder pickers fill webkitRelativePath ("dir/sub/a.txt"). */
export function fromInput(input: HTMLInputElement): Picked {
  const files = Array.from(input.files ?? [], (file) => ({ file, relativePath: file.webkitRelativePath || file.name }));
  return { files, folders: [] };
}

/**
 * Files and folders of a drop. webkitGetAsEntry must be called for every item
 * before the first await: the DataTransfer is emptied once the event returns.
 */
export async function fromDrop(transfer: DataTransfer): Promise<Picked> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(transfer.items)) {
    if (item.kind !== "file") continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file) loose.push(file);
    }
  }
  const picked: Picked = { files: loose.map((file) => ({ file, relativePath: file.name })), folders: [] };
  for (const entry of entries) await walk(entry, "", picked);
  return picked;
}

async function walk(entry: FileSystemEntry, prefix: string, picked: Picked): Promise<void> {
  const relativePath = prefix + entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    picked.files.push({ file, relativePath });
    return;
  }
  picked.folders.push(relativePath);
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries returns at most ~100 entries per call; call until it returns none.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const child of batch) await walk(child, relativePath + "/", picked);
  }
}
