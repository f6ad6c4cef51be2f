package org.openaimoodle.sidecar.common.usage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.sqlite.SQLiteJDBCLoader;
import org.sqlite.util.OSInfo;

/**
 * The SQLite driver's native library, kept beside the usage store once instead of unpacked into the temporary
 * directory by every process: a stdio worker is one process per request, and unpacking on each would cost a
 * good part of its round trip (BENCHMARKS.md). Written under a temporary name and renamed, so a process never
 * loads a half-written copy; when anything fails the driver unpacks it itself, as it would without this.
 */
final class SqliteNativeLibrary {
    private static final String PATH_PROPERTY = "org.sqlite.lib.path";
    private static final String NAME_PROPERTY = "org.sqlite.lib.name";

    private SqliteNativeLibrary() {
    }

    /** @param storeDirectory the usage store's directory; the library goes under {@code .sqlite-native/} there */
    static synchronized void useCopyIn(Path storeDirectory) {
        if (System.getProperty(PATH_PROPERTY) != null) {
            return; // chosen already (by this process or by the operator)
        }
        try {
            String folder = OSInfo.getNativeLibFolderPathForCurrentOS();
            String name = System.mapLibraryName("sqlitejdbc");
            Path dir = storeDirectory.resolve(".sqlite-native").resolve(SQLiteJDBCLoader.getVersion()).resolve(folder);
            Path library = dir.resolve(name);
            if (!Files.isRegularFile(library)) {
                try (InputStream in = SQLiteJDBCLoader.class.getResourceAsStream("/org/sqlite/native/" + folder + "/"
                        + name)) {
                    if (in == null) {
                        return; // no library for this platform in the jar: the driver reports it
                    }
                    Files.createDirectories(dir);
                    Path partial = Files.createTempFile(dir, name, ".partial");
                    try {
                        Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                        Files.move(partial, library, StandardCopyOption.ATOMIC_MOVE);
                    } finally {
                        Files.deleteIfExists(partial);
                    }
                }
            }
            System.setProperty(PATH_PROPERTY, dir.toString());
            System.setProperty(NAME_PROPERTY, name);
        } catch (IOException | RuntimeException e) {
            // the driver's own unpacking into java.io.tmpdir still works
        }
    }
}
