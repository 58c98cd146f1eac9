// What the toolbar buttons do to the selected entries.

import { api, downloadUrl, errorText, startDownload, zipUrl } from "../api";
import { sleep, toast } from "../dom";
import { joinPath, normalizePath, plural } from "../format";
import { ConflictPolicy, EntryKind, type Entry } from "../gen/cordvault/v1/common_pb";
import { promptDialog } from "./dialogs";

/** Resolves to the name of the new folder, or undefined when cancelled or failed. */
export async function newFolder(folder: string): Promise<string | undefined> {
  const name = await promptDialog({ title: "New folder", label: "Name", okText: "Create" });
  if (!name?.trim()) return undefined;
  try {
    const { entry } = await api().files.createFolder({ path: joinPath(folder, name.trim()) });
    return entry?.name ?? name.trim();
  } catch (err) {
    toast(errorText(err), "error");
    return undefined;
  }
}

export async function rename(entry: Entry): Promise<string | undefined> {
  const name = await promptDialog({ title: `Rename “${entry.name}”`, label: "New name", value: entry.name, okText: "Rename" });
  if (!name?.trim() || name.trim() === entry.name) return undefined;
  try {
    const result = await api().files.rename({ path: entry.path, newName: name.trim(), conflictPolicy: ConflictPolicy.FAIL });
    return result.entry?.name ?? name.trim();
  } catch (err) {
    toast(errorText(err), "error");
    return undefined;
  }
}

/** Moves every entry into a folder the user names; true when something moved. */
export async function move(entries: Entry[], currentFolder: string): Promise<boolean> {
  const what = entries.length === 1 ? `“${entries[0].name}”` : plural(entries.length, "item");
  const target = await promptDialog({
    title: `Move ${what}`,
    label: "Destination folder",
    value: currentFolder,
    okText: "Move",
  });
  if (target === null) return false;
  const destinationFolder = normalizePath(target);
  if (destinationFolder === currentFolder) return false;
  const failures = await eachEntry(entries, (entry) =>
    api().files.move({ path: entry.path, destinationFolder, conflictPolicy: ConflictPolicy.FAIL }),
  );
  if (failures === 0) toast(`Moved to ${destinationFolder}`);
  return failures < entries.length;
}

export async function moveToTrash(entries: Entry[]): Promise<boolean> {
  const failures = await eachEntry(entries, (entry) => api().files.delete({ path: entry.path, recursive: true }));
  if (failures === 0) {
    toast(`Moved ${entries.length === 1 ? `“${entries[0].name}”` : plural(entries.length, "item")} to the trash`);
  }
  return failures < entries.length;
}

/** Files download as they are, folders as zip files. */
export async function download(entries: Entry[]): Promise<void> {
  for (const [i, entry] of entries.entries()) {
    // Browsers drop downloads started in the same instant.
    if (i > 0) await sleep(300);
    startDownload(await (entry.kind === EntryKind.FOLDER ? zipUrl(entry.path) : downloadUrl(entry.path)));
  }
}

/** Runs `action` for each entry in turn; shows the first failure (and keeps it shown) and returns how many failed. */
async function eachEntry(entries: Entry[], action: (entry: Entry) => Promise<unknown>): Promise<number> {
  let failures = 0;
  for (const entry of entries) {
    try {
      await action(entry);
    } catch (err) {
      if (failures === 0) toast(`${entry.name}: ${errorText(err)}`, "error");
      failures++;
    }
  }
  return failures;
}
