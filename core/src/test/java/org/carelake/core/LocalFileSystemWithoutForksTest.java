package org.carelake.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.carelake.core.spark.LocalFileSystemWithoutForks;
import org.carelake.core.testing.SparkExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The local file system Spark sessions use: Hadoop's behaviour (permissions, checksums, renames, links) without child processes. */
@ExtendWith(SparkExtension.class)
class LocalFileSystemWithoutForksTest {

  @TempDir java.nio.file.Path dir;

  @Test
  void sparkSessionsUseItForFileSystemAndFileContext() throws IOException {
    Configuration conf = SparkExtension.spark().sparkContext().hadoopConfiguration();
    assertThat(FileSystem.get(dir.toUri(), conf)).isInstanceOf(LocalFileSystemWithoutForks.class);
    assertThat(FileContext.getFileContext(dir.toUri(), conf).getDefaultFileSystem()).isInstanceOf(LocalFileSystemWithoutForks.Fs.class);
  }

  @Test
  void filesAndFoldersGetTheRequestedPermissionsAndChecksums() throws IOException {
    LocalFileSystemWithoutForks fs = new LocalFileSystemWithoutForks();
    fs.initialize(dir.toUri(), new Configuration(false));
    Path folder = new Path(dir.toUri().toString(), "a/b");
    assertThat(fs.mkdirs(folder, new FsPermission((short) 0750))).isTrue();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("a/b")))).isEqualTo("rwxr-x---");
    Path file = new Path(folder, "part-0.parquet");
    try (FSDataOutputStream out = fs.create(file, new FsPermission((short) 0640), false, 4096, (short) 1, 1 << 20, null)) {
      out.writeBytes("rows");
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("a/b/part-0.parquet")))).isEqualTo("rw-r-----");
    assertThat(dir.resolve("a/b/.part-0.parquet.crc")).as("checksums as Hadoop's LocalFileSystem writes them").exists();
    fs.setPermission(file, new FsPermission((short) 0604));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("a/b/part-0.parquet")))).isEqualTo("rw----r--");
  }

  @Test
  void renamesThroughFileContextAndLinkStatusBehaveAsHadoops() throws IOException {
    Configuration conf = new Configuration(false);
    conf.set("fs.AbstractFileSystem.file.impl", LocalFileSystemWithoutForks.Fs.class.getName());
    FileContext fc = FileContext.getFileContext(dir.toUri(), conf);
    Path tmp = new Path(dir.toUri().toString(), ".00000.json.tmp");
    Path commit = new Path(dir.toUri().toString(), "00000.json");
    try (FSDataOutputStream out = fc.create(tmp, EnumSet.of(CreateFlag.CREATE), Options.CreateOpts.createParent())) {
      out.writeBytes("{\"commitInfo\":{}}");
    }
    fc.rename(tmp, commit, Options.Rename.NONE);
    assertThat(Files.readString(dir.resolve("00000.json"))).isEqualTo("{\"commitInfo\":{}}");
    assertThat(dir.resolve(".00000.json.tmp")).doesNotExist();
    // A second commit of the same version fails: the rename that makes Delta's log writes atomic.
    try (FSDataOutputStream out = fc.create(tmp, EnumSet.of(CreateFlag.CREATE), Options.CreateOpts.createParent())) {
      out.writeBytes("{}");
    }
    assertThatThrownBy(() -> fc.rename(tmp, commit, Options.Rename.NONE)).isInstanceOf(FileAlreadyExistsException.class);

    LocalFileSystemWithoutForks.Raw raw = new LocalFileSystemWithoutForks.Raw();
    raw.initialize(dir.toUri(), conf);
    org.apache.hadoop.fs.RawLocalFileSystem hadoops = new org.apache.hadoop.fs.RawLocalFileSystem();
    hadoops.initialize(dir.toUri(), conf);
    FileStatus regular = raw.getFileLinkStatus(commit);
    assertThat(regular.isFile()).isTrue();
    assertThat(regular.isSymlink()).isFalse();
    assertThat(regular.getLen()).isEqualTo(17);
    assertThat(regular).isEqualTo(hadoops.getFileLinkStatus(commit));
    // A symbolic link is looked up by Hadoop's own code: the same status as Hadoop's.
    Files.createSymbolicLink(dir.resolve("latest.json"), dir.resolve("00000.json"));
    Path link = new Path(dir.toUri().toString(), "latest.json");
    assertThat(raw.getFileLinkStatus(link).isSymlink()).isEqualTo(hadoops.getFileLinkStatus(link).isSymlink());
    assertThat(raw.getFileLinkStatus(link).getLen()).isEqualTo(hadoops.getFileLinkStatus(link).getLen());
    assertThatThrownBy(() -> raw.getFileLinkStatus(new Path(dir.toUri().toString(), "missing.json"))).isInstanceOf(FileNotFoundException.class);
  }
}
