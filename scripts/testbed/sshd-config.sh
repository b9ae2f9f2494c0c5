# The sshd_config every test-bed node runs (sourced by scripts/testbed/netns-up.sh and
# test/system/loopback/up.sh): key-only root login, no PAM, and limits high enough for
# pvefix's pooled connections and the benchmark's bursts.
#   sshd_config LISTEN HOSTKEY PIDFILE AUTHORIZED_KEYS SETENV_LINE >FILE
sshd_config() {
  cat <<CONF
ListenAddress $1
HostKey $2
PidFile $3
AuthorizedKeysFile $4
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
MaxStartups 200:30:400
MaxSessions 64
PrintMotd no
Subsystem sftp internal-sftp
$5
CONF
}
