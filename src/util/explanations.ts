// What each catalogue code means to the person in front of the status page, and what to check: one
// sentence in Bahasa Indonesia (the page's default) and one in English, beside the catalogue
// (catalogue.ts says what a code is; this says what to do about it). The status page's script
// carries this table and picks the sentence for a device's, a sink's or a readiness reason's code.
// Invariants:
// - Every code of ERROR_CODES has an explanation in both languages (the type says so;
//   test/unit/explanations.test.ts checks that neither text is empty or left untranslated).
// - A `causes` row narrows a code by what its message says (the OS errno, the broker's words):
//   the first row one of whose `when` strings occurs in the message (case-insensitive) wins,
//   else the code's own sentence. Plain substrings, not regexes: the browser script applies the
//   same rule (statusPage/script.ts `explain`).
// - Texts name what to check on site (cable, IP, comm key, broker service), never a source file.
import type { ErrorCode } from './catalogue.js';

export interface Explanation {
  readonly id: string;
  readonly en: string;
}

export interface ExplanationRow extends Explanation {
  /** narrower sentences for messages that say more */
  readonly causes?: readonly (Explanation & { readonly when: readonly string[] })[];
}

export const ERROR_EXPLANATIONS = {
  GW_ERR_CONFIG_INVALID: {
    id: 'Berkas konfigurasi tidak valid. Jalankan "absensi-gateway check" untuk melihat setiap baris yang salah.',
    en: 'The configuration file does not validate. Run "absensi-gateway check" to see every wrong line.',
  },
  GW_ERR_CONFIG_UNREADABLE: {
    id: 'Berkas konfigurasi atau berkas rahasia (*File) tidak ada atau tidak boleh dibaca. Periksa path dan izin berkas.',
    en: 'The configuration file or a secret file (*File) is missing or not readable. Check the path and the file permissions.',
  },
  GW_ERR_CONFIG_WARNING: {
    id: 'Konfigurasi diterima, tetapi sebagian tidak aman atau belum berlaku. Baca baris log-nya; perubahan bagian tertentu perlu restart layanan.',
    en: 'The configuration is accepted, but part of it is unsafe or not applied yet. Read its log line; some sections need a service restart.',
  },
  GW_ERR_CLOCK_UNSYNCHRONIZED: {
    id: 'Jam komputer gateway tidak tersinkron (NTP). Periksa "timedatectl status" dan akses ke server waktu.',
    en: 'The gateway PC clock is not synchronized (NTP). Check "timedatectl status" and access to a time server.',
  },
  GW_ERR_BUFFER_UNAVAILABLE: {
    id: 'Gateway tidak bisa menyimpan absensi ke database lokal. Periksa sisa ruang disk dan izin folder data.',
    en: 'The gateway cannot store punches in its local database. Check the free disk space and the data folder permissions.',
    causes: [
      { when: ['full', 'SQLITE_FULL'], id: 'Disk penuh: absensi tidak bisa disimpan. Kosongkan ruang disk; terminal akan mengirim ulang.', en: 'The disk is full: punches cannot be stored. Free disk space; the terminals retry.' },
      { when: ['closed'], id: 'Database lokal tertutup (gateway sedang berhenti atau gagal start). Periksa log layanan.', en: 'The local database is closed (the gateway is stopping or failed to start). Check the service log.' },
    ],
  },
  GW_ERR_PUNCH_INVALID: {
    id: 'Terminal mengirim absensi yang tidak valid; absensi itu dikarantina. Lihat "queue quarantine".',
    en: 'A terminal sent a punch that does not validate; it is quarantined. See "queue quarantine".',
  },
  GW_ERR_PUNCH_QUARANTINED: {
    id: 'Absensi dikarantina (jam terminal salah, PIN tidak wajar, atau terlalu besar). Periksa jam terminal dan lihat "queue quarantine".',
    en: 'A punch was quarantined (wrong terminal clock, odd PIN, or too large). Check the terminal clock and see "queue quarantine".',
  },
  GW_ERR_DEVICE_IDENTITY: {
    id: 'Terminal melaporkan identitas (nomor seri, model) yang tidak wajar, atau data terminal lain. Periksa sn di konfigurasi dan di terminal.',
    en: 'The terminal reported an odd identity (serial, model), or data of another terminal. Check the sn in the configuration and on the terminal.',
  },
  GW_ERR_DECODE: {
    id: 'Data dari terminal tidak bisa dibaca. Periksa bahwa driver dan protokol di konfigurasi sesuai jenis terminal.',
    en: 'Data from the terminal could not be read. Check that the configured driver and protocol match the terminal.',
  },
  GW_ERR_CHECKSUM: {
    id: 'Data dari terminal rusak di jalan (checksum salah). Periksa kabel, konektor dan gangguan listrik.',
    en: 'Data from the terminal was damaged on the way (bad checksum). Check the cable, connectors and electrical noise.',
  },
  GW_ERR_DEVICE_UNREACHABLE: {
    id: 'Terminal tidak dapat dihubungi. Periksa kabel jaringan dan IP terminal.',
    en: 'The terminal cannot be reached. Check the network cable and the terminal IP.',
    causes: [
      { when: ['ECONNREFUSED'], id: 'Terminal menolak sambungan: IP benar tetapi port salah atau layanan terminal mati. Periksa port (zk-tcp: 4370) dan IP terminal.', en: 'The terminal refused the connection: the IP answers but the port is wrong or its service is off. Check the port (zk-tcp: 4370) and the terminal IP.' },
      { when: ['EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'no reply'], id: 'Terminal tidak menjawab. Periksa kabel jaringan dan IP terminal.', en: 'The terminal does not answer. Check the network cable and the terminal IP.' },
      { when: ['ENOTFOUND', 'EAI_AGAIN'], id: 'Nama host terminal tidak ditemukan. Periksa penulisan host di konfigurasi atau pakai IP.', en: 'The terminal host name is not found. Check the host in the configuration or use the IP.' },
    ],
  },
  GW_ERR_DEVICE_AUTH: {
    id: 'Comm key di terminal dan di konfigurasi berbeda. Samakan commKey (menu Komunikasi di terminal).',
    en: 'The comm key on the terminal and in the configuration differ. Make commKey the same (the terminal\'s Communication menu).',
    causes: [
      { when: ['401', 'password', 'digest'], id: 'Terminal menolak nama pengguna atau kata sandi. Periksa username/password di konfigurasi (akun bisa terkunci setelah beberapa kali gagal).', en: 'The terminal refused the user name or password. Check username/password in the configuration (the account may lock after repeated failures).' },
    ],
  },
  GW_ERR_DEVICE_TIMEOUT: {
    id: 'Terminal tersambung tetapi berhenti menjawab (macet atau sibuk). Matikan-nyalakan terminal. Periksa kabel jaringan dan IP terminal.',
    en: 'The terminal is connected but stopped answering (hung or busy). Power-cycle it. Check the network cable and the terminal IP.',
  },
  GW_ERR_DEVICE_PROTOCOL: {
    id: 'Terminal menjawab dengan cara yang tidak dikenal gateway ini. Periksa driver di konfigurasi; model baru mungkin perlu pembaruan gateway.',
    en: 'The terminal answered in a way this gateway does not know. Check the configured driver; a new model may need a gateway update.',
  },
  GW_ERR_DEVICE_CLOCK: {
    id: 'Jam atau zona waktu terminal berbeda dari gateway dan tidak bisa disetel. Setel jam/zona di terminal (atau jam PC bridge EasyLink).',
    en: 'The terminal clock or time zone differs from the gateway and could not be set. Set the clock/zone on the terminal (or the EasyLink bridge PC clock).',
  },
  GW_ERR_DOWNLOAD_INCOMPLETE: {
    id: 'Unduhan log terminal terputus sebelum selesai; akan diulang. Jika terus terjadi, periksa kabel jaringan.',
    en: 'The terminal log download ended before it was complete; it is retried. If it keeps happening, check the network cable.',
  },
  GW_ERR_LOG_KEY_INVALID: {
    id: 'Kunci tanda tangan log absen (log-key.pem) rusak atau tidak bisa dibuat. Periksa berkas itu di folder data.',
    en: 'The punch log signing key (log-key.pem) is damaged or cannot be created. Check that file in the data folder.',
  },
  GW_ERR_LOG_KEY_INSECURE: {
    id: 'Berkas kunci log absen bisa dibaca orang lain. Jalankan chmod 600 (atau hapus jika mungkin sudah dibaca orang lain).',
    en: 'The punch log key file is readable by others. chmod 600 it (or delete it if someone else may have read it).',
  },
  GW_ERR_LOG_INCONSISTENT: {
    id: 'Log absen tidak cocok dengan checkpoint terakhir (kerusakan penyimpanan). Hubungi pengelola pusat.',
    en: 'The punch log does not match the last checkpoint (a storage fault). Contact the central administrator.',
  },
  GW_ERR_LOG_UNAVAILABLE: {
    id: 'Database lokal tidak menyimpan log absen tertanda; absensi tetap dikirim, tanpa checkpoint.',
    en: 'The local database keeps no signed punch log; punches are still delivered, without checkpoints.',
  },
  GW_ERR_LOG_RESTORED: {
    id: 'Database lokal dipulihkan dari salinan lama; log absen dilanjutkan dengan epoch baru. Beri tahu pengelola pusat.',
    en: 'The local database was restored from an older copy; the punch log continues under a new epoch. Tell the central administrator.',
  },
  GW_ERR_LOG_HEAD_UNSAVED: {
    id: 'Checkpoint terakhir tidak bisa dicatat di log-head.json. Periksa ruang disk dan izin folder data.',
    en: 'The last checkpoint could not be recorded in log-head.json. Check the disk space and the data folder permissions.',
  },
  GW_ERR_LOG_VERIFY_FAILED: {
    id: 'Pemeriksaan log absen menemukan masalah (tanda tangan, absen hilang atau diubah). Lihat laporannya.',
    en: 'The punch log check found a problem (a signature, a missing or altered punch). See its report.',
  },
  GW_ERR_LOG_VERIFY_USAGE: {
    id: 'Perintah log verify/log key diberi argumen yang salah. Periksa kunci verifikasi dan nama berkas.',
    en: 'log verify / log key was given a bad argument. Check the verifier key and the file names.',
  },
  GW_ERR_WATERMARK_FROZEN: {
    id: 'Log terminal dihapus atau diganti sebelum gateway membacanya; "lengkap sampai" tidak bisa maju. Hapus log hanya lewat gateway.',
    en: 'The terminal log was cleared or replaced before the gateway read it; "complete through" cannot advance. Clear logs only through the gateway.',
  },
  GW_ERR_DRIVER_UNKNOWN: {
    id: 'Driver yang disebut di konfigurasi tidak ada di gateway ini. Periksa penulisan "driver" (lihat "absensi-gateway check").',
    en: 'The configured driver does not exist in this gateway. Check the "driver" spelling (see "absensi-gateway check").',
  },
  GW_ERR_SINK_AUTH: {
    id: 'Server pusat menolak kredensial gateway. Periksa username/password atau token di konfigurasi dan di broker/server.',
    en: 'The central server refused the gateway credentials. Check the username/password or token in the configuration and on the broker/server.',
    causes: [
      { when: ['not authorized', 'bad user', 'bad username', 'password'], id: 'Broker MQTT menolak nama pengguna atau kata sandi (not authorized). Periksa username/password gateway di konfigurasi dan di broker.', en: 'The MQTT broker refused the user name or password (not authorized). Check the gateway username/password in the configuration and on the broker.' },
      { when: ['401', '403'], id: 'Server HTTPS pusat menolak token gateway (401/403). Periksa token di konfigurasi dan di server.', en: 'The central HTTPS server refused the gateway token (401/403). Check the token in the configuration and on the server.' },
    ],
  },
  GW_ERR_SINK_REJECTED: {
    id: 'Server pusat menolak sebagian absensi untuk seterusnya; absensi itu ada di daftar ditolak permanen. Lihat "queue dead-letters".',
    en: 'The central server refused some punches for good; they are in the dead letters. See "queue dead-letters".',
  },
  GW_ERR_SINK_UNREACHABLE: {
    id: 'Server pusat tidak dapat dihubungi; absensi menunggu di antrean dan terkirim otomatis. Periksa jaringan ke server.',
    en: 'The central server cannot be reached; punches wait in the queue and go out by themselves. Check the network to the server.',
    causes: [
      { when: ['ECONNREFUSED'], id: 'Broker menolak sambungan: layanan broker tidak berjalan atau port salah. Periksa layanan broker dan url di konfigurasi; absensi menunggu di antrean.', en: 'The broker refused the connection: its service is not running or the port is wrong. Check the broker service and the configured url; punches wait in the queue.' },
      { when: ['ENOTFOUND', 'EAI_AGAIN'], id: 'Nama host server pusat tidak ditemukan (DNS). Periksa url di konfigurasi dan DNS.', en: 'The central server host name is not found (DNS). Check the configured url and DNS.' },
      { when: ['certificate', 'CERT', 'self signed', 'TLS'], id: 'Sertifikat TLS server ditolak. Periksa caFile dan jam komputer gateway.', en: 'The server TLS certificate was refused. Check caFile and the gateway PC clock.' },
      { when: ['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'timeout'], id: 'Server pusat tidak menjawab. Periksa jaringan dan firewall ke server; absensi menunggu di antrean.', en: 'The central server does not answer. Check the network and firewall to the server; punches wait in the queue.' },
    ],
  },
  GW_ERR_SINK_PROTOCOL: {
    id: 'Server pusat menjawab dalam bentuk yang tidak dikenal gateway. Periksa versi server pusat.',
    en: 'The central server answered in a form the gateway does not know. Check the central server version.',
  },
  GW_ERR_API_BAD_REQUEST: {
    id: 'Permintaan ke API lokal tidak valid; jawabannya menyebut setiap masalah.',
    en: 'A local API request does not validate; the answer lists each problem.',
  },
  GW_ERR_API_UNAUTHORIZED: {
    id: 'Token API tidak ada atau salah. Masukkan api.token dari konfigurasi.',
    en: 'The API token is missing or wrong. Enter api.token from the configuration.',
  },
  GW_ERR_API_NOT_FOUND: {
    id: 'Alamat API lokal itu tidak ada. Periksa path-nya.',
    en: 'No local API route at that address. Check the path.',
  },
  GW_ERR_API_FORBIDDEN: {
    id: 'API lokal menolak nama host atau situs web asal permintaan. Tambahkan nama host ke api.allowedHosts bila memang sah.',
    en: 'The local API refused the request\'s host name or originating web site. Add the host name to api.allowedHosts if it is legitimate.',
  },
  GW_ERR_API_UNAVAILABLE: {
    id: 'API lokal tidak bisa memakai alamat api.listen (port terpakai). Bebaskan port lalu restart; absensi tetap berjalan.',
    en: 'The local API cannot listen on api.listen (port in use). Free the port and restart; punches still flow.',
  },
  GW_ERR_API_INTERNAL: {
    id: 'API lokal gagal menjawab. Lihat log layanan untuk penyebabnya.',
    en: 'The local API failed to answer. See the service log for the cause.',
  },
  GW_ERR_PUSH_UNAVAILABLE: {
    id: 'Pendengar push tidak bisa memakai pushListener.listen (port terpakai); terminal push tidak bisa mengirim. Bebaskan port lalu restart.',
    en: 'The push listener cannot listen on pushListener.listen (port in use); push terminals cannot deliver. Free the port and restart.',
  },
  GW_ERR_PUSH_REFUSED: {
    id: 'Permintaan push ditolak karena asalnya (allowFrom, comm key, MAC). Periksa IP terminal di allowFrom dan comm key di terminal.',
    en: 'A push request was refused for its source (allowFrom, comm key, MAC). Check the terminal IP in allowFrom and the comm key on the terminal.',
  },
  GW_ERR_PUSH_UNKNOWN_DEVICE: {
    id: 'Terminal dengan nomor seri ini belum terdaftar. Tambahkan perangkat zk-push dengan serial ini ke konfigurasi.',
    en: 'A terminal with this serial is not configured. Add a zk-push device with this serial to the configuration.',
  },
  GW_ERR_CENTRAL_STORE_UNAVAILABLE: {
    id: 'Server pusat tidak bisa memakai database-nya (PostgreSQL). Periksa layanan database pusat.',
    en: 'The centre cannot use its database (PostgreSQL). Check the central database service.',
  },
  GW_ERR_CENTRAL_MESSAGE_INVALID: {
    id: 'Server pusat menerima pesan yang bukan format yang diharapkan; pesan itu dicatat, tidak disimpan.',
    en: 'The centre received a message not in the expected format; it is logged, not stored.',
  },
  GW_ERR_CENTRAL_LOG_PROBLEM: {
    id: 'Server pusat menemukan masalah di log absen sebuah gateway (tanda tangan, absen diubah atau hilang). Periksa log_problems.',
    en: 'The centre found a problem in a gateway\'s punch log (a signature, a punch altered or missing). See log_problems.',
  },
  GW_ERR_USERS_UNSUPPORTED: {
    id: "Jenis terminal ini tidak bisa dibaca atau ditulis datanya (pengguna dan sidik jari) lewat gateway. Kelola pengguna langsung di terminal.",
    en: "This kind of terminal cannot have its users and templates read or written through the gateway. Manage users at the terminal itself.",
  },
  GW_ERR_USERS_DAEMON_HOLDING: {
    id: "Terminal sedang dipakai layanan gateway dan hanya melayani satu koneksi. Hentikan layanan (systemctl stop absensi-gateway), jalankan perintah, lalu nyalakan lagi.",
    en: "The gateway service holds this terminal, which serves one connection at a time. Stop the service (systemctl stop absensi-gateway), run the command, then start it again.",
  },
  GW_ERR_USERS_DAEMON_NEEDED: {
    id: "Terminal push (zk-push) hanya bicara dengan layanan gateway yang sedang berjalan, dan layanan itu tidak menjawab. Nyalakan layanan (systemctl start absensi-gateway), lalu ulangi perintah.",
    en: "A push terminal (zk-push) talks only to the running gateway service, and the service did not answer. Start it (systemctl start absensi-gateway), then run the command again.",
  },
  GW_ERR_USERS_JOB_BUSY: {
    id: "Layanan gateway sedang menjalankan pekerjaan pengguna lain pada terminal ini. Tunggu sampai selesai, lalu ulangi perintah.",
    en: "The gateway service is running another users job on this terminal. Wait for it to finish, then run the command again.",
  },
  GW_ERR_USERS_INPUT_INVALID: {
    id: "Berkas atau argumen perintah users salah (baris CSV pegawai, baris cadangan users/v1). Perbaiki baris yang disebut; belum ada yang ditulis.",
    en: "A users command was given a bad file or argument (an employee CSV row, a users/v1 backup line). Fix the line it names; nothing was written.",
  },
  GW_ERR_USERS_BACKUP_FAILED: {
    id: "Cadangan data pengguna terminal tidak bisa ditulis utuh (disk penuh atau izin). Tidak ada yang ditulis ke terminal itu; bebaskan ruang disk lalu ulangi.",
    en: "The backup of the terminal's users could not be written whole (disk full or permissions). Nothing was written to that terminal; free disk space and try again.",
  },
  GW_ERR_USERS_USER_INVALID: {
    id: "Data pengguna ini tidak muat di terminal tujuan (PIN, nama, sandi atau kartu terlalu panjang, nomor jari tanpa slot). Perbaiki data sumbernya.",
    en: "This user does not fit the target terminal (a PIN, name, password or card too long, a finger number with no slot). Fix the source record.",
  },
  GW_ERR_USERS_WRITE_FAILED: {
    id: "Terminal menolak atau tidak mengonfirmasi penulisan pengguna ini; pengguna lain tetap ditulis. Ulangi perintah; yang sudah tertulis terlihat tidak berubah.",
    en: "The terminal refused or did not confirm this user's write; the other users were written. Run the command again; what was written shows as unchanged.",
  },
  GW_ERR_USERS_CONFLICT: {
    id: "PIN yang sama dipakai orang lain di terminal tujuan (nama atau kartu berbeda). Periksa siapa pemilik PIN itu sebelum menimpa.",
    en: "The same PIN belongs to someone else on the target (another name or card). Check who owns the PIN before overwriting.",
  },
  GW_ERR_USERS_ALGORITHM_MISMATCH: {
    id: "Versi algoritma sidik jari terminal tujuan berbeda, jadi template tidak disalin. Salin tanpa template atau daftarkan ulang jari di terminal itu.",
    en: "The target terminal uses another fingerprint algorithm version, so templates were not copied. Copy without templates or enrol again at that terminal.",
  },
  GW_ERR_COMMAND_REFUSED: {
    id: "Perintah jarak jauh ditolak (tanda tangan tidak sah, kunci tidak dipercaya, kedaluwarsa, atau diulang). Periksa commands.trustedKeys dan jam server pusat.",
    en: "A remote command was refused (bad signature, untrusted key, expired or replayed). Check commands.trustedKeys and the central server's clock.",
  },
  GW_ERR_COMMAND_FAILED: {
    id: "Perintah jarak jauh diterima tetapi gagal saat dijalankan (perangkat mati atau tidak menjawab). Lihat pesan jawabannya.",
    en: "A remote command was accepted but failed while it ran (the device is down or did not answer). See the answer's message.",
  },
  GW_ERR_COMMAND_UNSUPPORTED: {
    id: "Gateway ini tidak bisa menjalankan perintah itu untuk perangkat tersebut (misalnya atur jam pada terminal yang tidak mendukung).",
    en: "This gateway cannot run that command for that device (for example setting the clock of a terminal that cannot be set).",
  },
  GW_ERR_COMMAND_TIMEOUT: {
    id: "Gateway tidak menjawab perintah tepat waktu. Periksa apakah gateway online, commands.enabled aktif, dan broker memakai MQTT 5.",
    en: "The gateway did not answer the command in time. Check that the gateway is online, commands.enabled is on and the broker speaks MQTT 5.",
  },
  GW_ERR_COMMAND_KEY: {
    id: "Kunci penanda tangan perintah di server pusat tidak bisa dibaca atau terlalu terbuka (chmod 600). Periksa commands.keyFile.",
    en: "The centre's command signing key cannot be read or is open to others (chmod 600). Check commands.keyFile.",
  },
  GW_ERR_KIOSK_REFUSED: {
    id: "Kios ditolak karena sertifikatnya (tidak ada, dari CA lain, kedaluwarsa, dicabut, atau kios tidak terdaftar). Daftarkan ulang dengan 'absensi-gateway kiosk enroll'.",
    en: "A kiosk was refused for its certificate (none, another CA, expired, revoked, or no such kiosk configured). Enrol it again with 'absensi-gateway kiosk enroll'.",
  },
  GW_ERR_KIOSK_CLOCK: {
    id: "Jam tablet kios berbeda terlalu jauh dari jam gateway. Aktifkan waktu otomatis di tablet; jawaban gateway memuat jam yang benar.",
    en: "The kiosk tablet's clock is too far from the gateway's. Turn on automatic time on the tablet; the gateway's answer carries the right time.",
  },
  GW_ERR_KIOSK_BAD_REQUEST: {
    id: "Aplikasi kios mengirim data absen yang tidak valid (PIN, waktu atau foto). Periksa versi aplikasi kios.",
    en: "The kiosk app sent an invalid punch (PIN, time or photo). Check the kiosk app's version.",
  },
  GW_ERR_KIOSK_PHOTO_GONE: {
    id: "Foto absen kios sudah tidak ada di gateway (terhapus oleh kiosk.photoRetention sebelum terkirim, atau berkasnya berubah); absen tetap dikirim tanpa foto. Perpanjang kiosk.photoRetention bila sink sering lama terputus.",
    en: "A kiosk punch photo is no longer on the gateway (kiosk.photoRetention removed it before it was sent, or its file changed); the punch is sent without it. Lengthen kiosk.photoRetention if the sink is often down for long.",
  },
  GW_ERR_KIOSK_UNAVAILABLE: {
    id: "Pendengar kios tidak bisa berjalan (port kiosk.listen terpakai atau CA kios rusak); kios tidak bisa absen. Bebaskan port lalu restart.",
    en: "The kiosk listener cannot run (kiosk.listen port in use or the kiosk CA unusable); kiosks cannot punch. Free the port and restart.",
  },
  GW_ERR_KIOSK_CA: {
    id: "CA lokal kios tidak bisa dibuat atau dibaca, atau openssl gagal. Periksa folder kiosk-ca di dataDir dan izinnya.",
    en: "The local kiosk CA cannot be created or read, or openssl failed. Check the kiosk-ca folder in dataDir and its permissions.",
  },
  GW_ERR_INTERNAL: {
    id: 'Kegagalan tak terduga di dalam gateway. Lihat log layanan dan laporkan ke pengembang.',
    en: 'An unexpected failure inside the gateway. See the service log and report it to the developers.',
  },
} as const satisfies Record<ErrorCode, ExplanationRow>;

/** The sentence for `code` as its `message` narrows it; undefined for a code not in the catalogue. */
export function explainError(code: string, message = ''): Explanation | undefined {
  if (!Object.hasOwn(ERROR_EXPLANATIONS, code)) return undefined;
  const row: ExplanationRow = ERROR_EXPLANATIONS[code as ErrorCode];
  const lower = message.toLowerCase();
  const cause = row.causes?.find((c) => c.when.some((w) => lower.includes(w.toLowerCase())));
  return cause ? { id: cause.id, en: cause.en } : { id: row.id, en: row.en };
}
